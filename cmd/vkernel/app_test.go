package main

import (
	"bytes"
	"strings"
	"testing"
)

// runApp runs the command line args (after "vkernel") and returns what the
// app printed and the error main would report.
func runApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(preprocessArgs(append([]string{"vkernel"}, args...)))
	return out.String(), err
}

// TestHelpPlaceholders: each flag's help line names what it takes, never
// urfave/cli's "value", and a repeatable flag is shown once.
func TestHelpPlaceholders(t *testing.T) {
	for _, cmd := range []string{"run", "boot"} {
		out, err := runApp(t, cmd, "--help")
		if err != nil {
			t.Fatalf("%s --help: %v", cmd, err)
		}
		for _, want := range []string{
			"--mount HOST:GUEST[:ro], -m HOST:GUEST[:ro]  ",
			"--strace[=FILE]  ",
			"--stats[=FILE]  ",
			"--net host|none  ",
			"--strace FILE would run FILE as the program",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s --help has no %q:\n%s", cmd, want, out)
			}
		}
		for _, bad := range []string{" value", " [ --", "COMMANDS:"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s --help shows %q:\n%s", cmd, bad, out)
			}
		}
	}
}

// TestUsageErrors: a bad flag or command is one error line for main to
// print (status 125), with no usage text.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-x", "--", "/bin/true"}, "flag provided but not defined: -x (see vkernel run --help)"},
		{[]string{"boot", "--bogus"}, "flag provided but not defined: -bogus (see vkernel boot --help)"},
		{[]string{"run", "--pids-max", "many", "--", "/bin/true"}, `invalid value "many" for flag -pids-max: parse error (see vkernel run --help)`},
		{[]string{"-x"}, "flag provided but not defined: -x (see vkernel --help)"},
		{[]string{"bogus"}, `unknown command "bogus" (see vkernel --help)`},
		{[]string{"bogus", "run"}, `unknown command "bogus" (see vkernel --help)`},
		{[]string{"boot"}, "boot: --root DIR is required (see vkernel boot --help)"},
	} {
		out, err := runApp(t, tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %q", tc.args, err, tc.want)
		}
		if _, ok := err.(exitError); ok {
			t.Errorf("%q: an exitError, want vkernel's own error", tc.args)
		}
		if out != "" {
			t.Errorf("%q: printed %q, want nothing", tc.args, out)
		}
	}
}

// TestMergeEnvEmpty: an empty environment stays empty and non-nil (a nil
// one would hand the guest vkernel's environment).
func TestMergeEnvEmpty(t *testing.T) {
	for _, tc := range []struct {
		base, set []string
		want      string
	}{
		{nil, nil, ""},
		{[]string{}, nil, ""},
		{nil, []string{"A=1"}, "A=1"},
		{[]string{"A=0", "B=2"}, []string{"A=1", "C="}, "A=1 B=2 C="},
	} {
		got, err := mergeEnv(tc.base, tc.set)
		if err != nil || got == nil || strings.Join(got, " ") != tc.want {
			t.Errorf("mergeEnv(%q, %q) = %#v, %v; want %q, non-nil", tc.base, tc.set, got, err, tc.want)
		}
	}
	if _, err := mergeEnv(nil, []string{"NOEQUALS"}); err == nil {
		t.Errorf("mergeEnv accepted NOEQUALS")
	}
}
