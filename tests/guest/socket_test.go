package guest

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestUnixDatagrams runs testdata/dgram.c natively and in the guest:
// sendmsg, sendmmsg and sendto to an AF_UNIX path, with SCM_RIGHTS and
// SCM_CREDENTIALS, received with SO_PASSCRED, as root and as a user.
func TestUnixDatagrams(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "dgram")
	buildC(t, "dgram.c", filepath.Join(host, "dgram"), "-static")
	want := `sendmsg: 3
sendmsg: 3 bytes one, fd reads passed, creds pid mine, uid ID, gid ID
sendmsg creds: 3
sendmsg creds: 3 bytes two, fd reads none, creds pid mine, uid ID, gid ID
sendmsg another pid: -1 ERR
sendmmsg: 2, lengths 5 4
sendmmsg 1: 5 bytes three, fd reads none, creds pid mine, uid ID, gid ID
sendmmsg 2: 4 bytes four, fd reads none, creds pid mine, uid ID, gid ID
sendto: 4
sendto: 4 bytes five, fd reads none, creds pid mine, uid ID, gid ID
sendmsg to nobody: -1 No such file or directory
`
	asRoot := strings.NewReplacer("ID", "0", "ERR", "No such process").Replace(want)
	asUser := strings.NewReplacer("ID", "1000", "ERR", "Operation not permitted").Replace(want)
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./dgram && mkdir -p u && chmod 777 u && cd u && " +
		"setpriv --reuid=1000 --regid=1000 --clear-groups ../dgram"}, asRoot+asUser)
}

// TestPeerCredentials runs testdata/peercred.c natively and in the guest,
// as root and as a user: SO_PEERCRED names the user that connected,
// listened or made the pair, not the host's root.
func TestPeerCredentials(t *testing.T) {
	root := needRootfs(t, "bookworm")
	host, guest := workDir(t, root, "peercred")
	buildC(t, "peercred.c", filepath.Join(host, "peercred"), "-static")
	want := "server side: peer uid ID gid ID\nclient side: peer uid ID gid ID\nsocketpair: peer uid ID gid ID\npair close-on-exec: yes\n" +
		"socketpair with room for one: Too many open files, fd 3 free\n"
	sameAsNative(t, root, []string{"/bin/sh", "-c", "cd " + guest + " && ./peercred && mkdir -p u && chmod 777 u && cd u && " +
		"setpriv --reuid=1000 --regid=1000 --clear-groups ../peercred"},
		strings.ReplaceAll(want, "ID", "0")+strings.ReplaceAll(want, "ID", "1000"))
}
