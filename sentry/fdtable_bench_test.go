package sentry

import (
	"testing"

	"golang.org/x/sys/unix"

	"vkernel/sentry/fsimpl/tmpfs"
	"vkernel/sentry/vfs"
)

// BenchmarkFDTableGet: the lookup every served call naming a descriptor
// makes (Get and the reference's drop), in a table of 64 files.
func BenchmarkFDTableGet(b *testing.B) {
	v := vfs.New()
	root := v.Root(v.NewRootMount(tmpfs.New(tmpfs.Options{Mode: 0o755}), 0))
	defer root.DecRef()
	t := NewFDTable()
	for fd := 0; fd < 64; fd++ {
		impl, err := vfs.NewPlaceholder(unix.O_RDONLY)
		if err != nil {
			b.Fatal(err)
		}
		t.Install(fd, vfs.NewFileAt(root, unix.O_RDONLY, impl))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, ok := t.Get(i & 63)
		if !ok {
			b.Fatal("missing")
		}
		f.DecRef()
	}
}
