package acctest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	readyTimeout = 20 * time.Second
	stopTimeout  = 5 * time.Second
	startTries   = 3
)

// errExitedEarly means moto_server died before it answered, most often because another
// process took the port between our probe and its bind.
var errExitedEarly = errors.New("moto_server exited before it answered")

// motoServer is one moto_server process that this test binary owns. A nil *motoServer is
// valid and does nothing, which keeps the external-endpoint path free of nil checks.
type motoServer struct {
	Endpoint string
	Port     int
	Pid      int
	logPath  string
	done     chan struct{} // closed once the process has exited and been reaped
	stopOnce sync.Once
}

// startMoto starts moto_server on a loopback port chosen by pickPort and waits until it
// answers. It tries a new port when the server dies early (a port collision).
func startMoto(pickPort func() (int, error)) (*motoServer, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, errors.New(msgMotoMissing)
	}
	var lastErr error
	for range startTries {
		port, err := pickPort()
		if err != nil {
			return nil, fmt.Errorf("pick a free loopback port for moto_server: %w", err)
		}
		srv, err := launchMoto(bin, port)
		if err == nil {
			return srv, nil
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	return nil, lastErr
}

func launchMoto(bin string, port int) (*motoServer, error) {
	logf, err := os.CreateTemp("", "safelambda-moto-*.log")
	if err != nil {
		return nil, fmt.Errorf("create moto_server log file: %w", err)
	}
	defer logf.Close() // the child holds its own descriptor

	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1") // so the log tail is complete
	cmd.SysProcAttr = sysProcAttr()

	srv := &motoServer{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		Port:     port,
		logPath:  logf.Name(),
		done:     make(chan struct{}),
	}
	started := make(chan error, 1)
	go func() {
		// On Linux the child gets SIGKILL when the thread that started it dies (Pdeathsig),
		// which is what cleans up after a test binary killed by -timeout. Pin this goroutine
		// to its thread for the child's whole life so no unrelated thread exit kills moto.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			close(srv.done)
			return
		}
		started <- nil
		_ = cmd.Wait()
		close(srv.done)
	}()
	if err := <-started; err != nil {
		os.Remove(srv.logPath)
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	srv.Pid = cmd.Process.Pid

	if err := waitReady(srv.Endpoint, srv.done); err != nil {
		srv.Stop()
		var tail strings.Builder
		srv.PrintLogTail(&tail, 20)
		srv.RemoveLog()
		return nil, fmt.Errorf("moto_server on port %d: %w\n%s", port, err, tail.String())
	}
	return srv, nil
}

// Stop ends moto's whole process group: SIGTERM first, SIGKILL if it lingers. It is safe
// to call more than once and from a signal handler.
func (s *motoServer) Stop() {
	if s == nil || s.Pid <= 0 { // pid 0 would signal our own process group
		return
	}
	s.stopOnce.Do(func() {
		_ = signalGroup(s.Pid, false)
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
		}
		// Also reaches anything moto forked that outlived it.
		_ = signalGroup(s.Pid, true)
		<-s.done
	})
}

// PrintLogTail writes the last n lines of moto's log, with its path, to w.
func (s *motoServer) PrintLogTail(w io.Writer, n int) {
	if s == nil {
		return
	}
	data, err := os.ReadFile(s.logPath)
	if err != nil {
		fmt.Fprintf(w, "moto_server log %s: %v\n", s.logPath, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Fprintf(w, "--- last %d lines of moto_server log (%s) ---\n%s\n", len(lines), s.logPath, strings.Join(lines, "\n"))
}

// RemoveLog deletes moto's log file; call it once the log is no longer worth showing.
func (s *motoServer) RemoveLog() {
	if s == nil {
		return
	}
	os.Remove(s.logPath)
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("listener on 127.0.0.1:0 has address %v (%T), not a TCP address", l.Addr(), l.Addr())
	}
	return addr.Port, nil
}

// waitReady polls the moto API until it answers, the process exits (exited closes), or
// readyTimeout passes.
func waitReady(endpoint string, exited <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	delay := 25 * time.Millisecond
	for {
		err := ping(endpoint)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer from %s within %s (last error: %v)", endpoint, readyTimeout, err)
		}
		select {
		case <-exited:
			return errExitedEarly
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

var motoAPI = &http.Client{Timeout: 2 * time.Second}

// ping asks the moto API for its config: cheap, and only moto answers it.
func ping(endpoint string) error {
	resp, err := motoAPI.Get(endpoint + "/moto-api/config")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET /moto-api/config: HTTP %d", resp.StatusCode)
	}
	return nil
}

// postMotoAPI sends a JSON body to one of moto's control endpoints.
func postMotoAPI(endpoint, path string, body any) ([]byte, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	resp, err := motoAPI.Post(endpoint+path, "application/json", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, out)
	}
	return out, nil
}

// configureMoto switches Lambda to moto's docker-free backend. It must happen before any
// function is created: functions made earlier stay on the Docker backend and cannot be
// invoked here.
func configureMoto(endpoint string) error {
	out, err := postMotoAPI(endpoint, "/moto-api/config", map[string]any{
		"lambda": map[string]any{"use_docker": false},
	})
	if err != nil {
		return fmt.Errorf("configure moto for docker-free Lambda: %w", err)
	}
	var cfg struct {
		Lambda struct {
			UseDocker *bool `json:"use_docker"`
		} `json:"lambda"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil || cfg.Lambda.UseDocker == nil || *cfg.Lambda.UseDocker {
		return fmt.Errorf("configure moto for docker-free Lambda: unexpected answer %s", out)
	}
	return nil
}
