package reliability

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// moto puts calls made with an assumed role's credentials in the role's account.
const roleAccount = "222222222222"

var deployerRole = "arn:aws:iam::" + roleAccount + ":role/deployer"

// A release at TF_LOG=TRACE with static keys and a session token in the provider block and
// an assumed role: neither secret key nor any session token (the static one, or the
// assumed role's, read off the wire of STS) appears in the log or in the state.
func TestSecrets_notInTraceLogOrState(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fn := acctest.FunctionIn(t, acctest.AssumedConfig(t, deployerRole))
	stsTap := newCredentialTap(t, acctest.Endpoint())

	static := struct{ key, secret, token string }{
		key:    "AKIARELIABILITYTEST1",
		secret: "sEcReT" + strings.ReplaceAll(acctest.RandName("k"), "-", "") + "xYzSecretKey",
		token:  "StAtIcSeSsIoNtOkEn" + strings.ReplaceAll(acctest.RandName("t"), "-", ""),
	}
	w := acctest.NewWorkdir(t, release{Function: fn, Version: "1", Provider: fmt.Sprintf(`  access_key = %q
  secret_key = %q
  token      = %q
  assume_role {
    role_arn     = %q
    session_name = "reliability"
  }
  endpoints {
    sts = %q
  }
`, static.key, static.secret, static.token, deployerRole, stsTap.url)}.HCL())
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	w.Setenv("TF_LOG", "TRACE")
	w.Setenv("TF_LOG_PATH", logPath)
	apply(t, w)

	if arn, _ := w.State(t)[res]["alias_arn"].(string); !strings.Contains(arn, ":"+roleAccount+":") {
		t.Fatalf("alias_arn %q: the release did not run as the assumed role", arn)
	}
	assumed := stsTap.credentials()
	if len(assumed) == 0 {
		t.Fatal("no AssumeRole answer went through the tap: the role was not assumed through it")
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	stateData, err := os.ReadFile(filepath.Join(w.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(logData, []byte("AssumeRole")) && !bytes.Contains(logData, []byte("safelambda")) {
		t.Errorf("the TRACE log (%d bytes) does not look like one", len(logData))
	}
	secrets := map[string]string{"static secret_key": static.secret, "static token": static.token}
	for i, c := range assumed {
		secrets[fmt.Sprintf("assumed role secret key #%d", i+1)] = c.SecretAccessKey
		secrets[fmt.Sprintf("assumed role session token #%d", i+1)] = c.SessionToken
	}
	for what, secret := range secrets {
		for file, data := range map[string][]byte{"TF_LOG file": logData, "state file": stateData} {
			if i := bytes.Index(data, []byte(secret)); i >= 0 {
				t.Errorf("the %s leaks in the %s: %q", what, file, around(data, i))
			}
		}
	}
	t.Logf("TRACE log %d bytes, state %d bytes; %d AssumeRole answers; checked %d secrets", len(logData), len(stateData), len(assumed), len(secrets))
}

func around(data []byte, i int) string {
	return string(data[max(0, i-120):min(len(data), i+80)])
}

type assumedCredentials struct {
	SecretAccessKey string `xml:"AssumeRoleResult>Credentials>SecretAccessKey"`
	SessionToken    string `xml:"AssumeRoleResult>Credentials>SessionToken"`
}

// credentialTap forwards to moto and keeps the credentials of every AssumeRole answer,
// so the test knows which session tokens must not show up anywhere.
type credentialTap struct {
	url string
	mu  sync.Mutex
	got []assumedCredentials
}

func newCredentialTap(t *testing.T, upstream string) *credentialTap {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	tap := &credentialTap{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var c assumedCredentials
		if xml.Unmarshal(body, &c) == nil && c.SessionToken != "" {
			tap.mu.Lock()
			tap.got = append(tap.got, c)
			tap.mu.Unlock()
		}
		return nil
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	tap.url = srv.URL
	return tap
}

func (c *credentialTap) credentials() []assumedCredentials {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]assumedCredentials(nil), c.got...)
}
