package acctest

import (
	"errors"
	"net"
	"os"
	"regexp"
	"runtime"
	"testing"
)

func TestStartStopLeavesNoProcessBehind(t *testing.T) {
	requireMoto(t)
	srv, err := startMoto(freeLoopbackPort)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	if srv.Endpoint == Endpoint() {
		t.Fatalf("second server shares the first one's endpoint %s", srv.Endpoint)
	}
	if err := configureMoto(srv.Endpoint); err != nil {
		t.Fatal(err)
	}
	if !groupAlive(srv.Pid) {
		t.Fatal("moto's process group is gone while it answers")
	}

	srv.Stop()
	srv.Stop() // idempotent, as the signal handler and Main may both call it
	if groupAlive(srv.Pid) {
		t.Errorf("process group %d still has members after Stop", srv.Pid)
	}
	if err := ping(srv.Endpoint); err == nil {
		t.Errorf("%s still answers after Stop", srv.Endpoint)
	}
	if err := ping(Endpoint()); err != nil {
		t.Errorf("stopping the second server hurt the first: %v", err)
	}
	srv.RemoveLog()
}

func TestStartTriesAnotherPortWhenTheFirstIsTaken(t *testing.T) {
	requireMoto(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	go func() { // refuse politely so the readiness poll fails fast
		for {
			c, err := taken.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	var picks []int
	srv, err := startMoto(func() (int, error) {
		if len(picks) == 0 {
			addr, ok := taken.Addr().(*net.TCPAddr)
			if !ok {
				return 0, errors.New("the taken listener has no TCP address")
			}
			picks = append(picks, addr.Port)
			return picks[0], nil
		}
		p, err := freeLoopbackPort()
		picks = append(picks, p)
		return p, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.RemoveLog()
	defer srv.Stop()
	if len(picks) != 2 || srv.Port != picks[1] {
		t.Errorf("ports tried %v, server on %d; want a second try on a new port", picks, srv.Port)
	}
}

func TestMissingMotoServerIsOneLineWithTheFix(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := startMoto(freeLoopbackPort)
	if err == nil || err.Error() != `moto_server not found on PATH: install it with "pip install 'moto[server]==5.2.1'"` {
		t.Errorf("err = %v", err)
	}
}

func TestMissingTerraformIsOneLineWithTheFix(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("TF_ACC_TERRAFORM_PATH", "")
	err := terraformAvailable()
	if err == nil || err.Error() != "terraform CLI not found: install Terraform >= 1.5 and put it on PATH, or set TF_ACC_TERRAFORM_PATH" {
		t.Errorf("err = %v", err)
	}
	t.Setenv("TF_ACC_TERRAFORM_PATH", "/somewhere/terraform")
	if err := terraformAvailable(); err != nil {
		t.Errorf("with TF_ACC_TERRAFORM_PATH set: %v", err)
	}
}

func TestMotoStartFailureShowsTheLog(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses a shell script as a fake moto_server")
	}
	// A fake moto_server that dies at once: startMoto must give up after its tries and
	// show what the server said.
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'Address already in use' >&2\nexit 1\n"
	if err := os.WriteFile(dir+"/moto_server", []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	tries := 0
	_, err := startMoto(func() (int, error) { tries++; return freeLoopbackPort() })
	if !errors.Is(err, errExitedEarly) || tries != startTries {
		t.Fatalf("err = %v after %d tries, want errExitedEarly after %d", err, tries, startTries)
	}
	if !regexp.MustCompile(`(?s)moto_server log .*Address already in use`).MatchString(err.Error()) {
		t.Errorf("error does not show the log tail:\n%v", err)
	}
}
