package connect

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// isolateAWS points the AWS SDK at empty config files in a temp dir so the
// machine's own AWS setup cannot leak into a test.
func isolateAWS(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return dir
}

// signedPayload runs the AWS_MSK_IAM mechanism's first step against host
// and decodes the signed request it would send.
func signedPayload(t *testing.T, a AWS, host string) map[string]string {
	t.Helper()
	mech, err := awsMechanism(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if mech.Name() != "AWS_MSK_IAM" {
		t.Fatalf("mechanism %s", mech.Name())
	}
	_, first, err := mech.Authenticate(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(first, &m); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	return m
}

// checkSignature recomputes the signature with the AWS SDK's own SigV4
// presigner from the same inputs and compares.
func checkSignature(t *testing.T, m map[string]string, creds aws.Credentials, region string) {
	t.Helper()
	when, err := time.Parse("20060102T150405Z", m["x-amz-date"])
	if err != nil {
		t.Fatalf("x-amz-date %q: %v", m["x-amz-date"], err)
	}
	q := url.Values{}
	q.Set("Action", "kafka-cluster:Connect")
	q.Set("X-Amz-Expires", m["x-amz-expires"])
	req, _ := http.NewRequest(http.MethodGet, "https://"+m["host"]+"/?"+strings.ReplaceAll(q.Encode(), "+", "%20"), nil)
	const emptySHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptySHA, "kafka-cluster", region, when)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(signed)
	if want := u.Query().Get("X-Amz-Signature"); want == "" || want != m["x-amz-signature"] {
		t.Fatalf("signature %q, the AWS SDK signs %q", m["x-amz-signature"], want)
	}
}

func TestAWSMSKIAMSignedRequestFromEnv(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTESTENV")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "env-secret-key")
	t.Setenv("AWS_SESSION_TOKEN", "env-session-token")
	m := signedPayload(t, AWS{}, "b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098")
	day := time.Now().UTC().Format("20060102")
	for k, want := range map[string]string{
		"version": "2020_10_22", "host": "b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com",
		"action": "kafka-cluster:Connect", "x-amz-algorithm": "AWS4-HMAC-SHA256",
		"x-amz-credential":     "AKIDTESTENV/" + day + "/eu-west-1/kafka-cluster/aws4_request",
		"x-amz-security-token": "env-session-token", "x-amz-signedheaders": "host", "x-amz-expires": "300",
		"user-agent": "rewind",
	} {
		if m[k] != want {
			t.Errorf("%s = %q, want %q", k, m[k], want)
		}
	}
	if strings.Contains(strings.Join(mapValues(m), " "), "env-secret-key") {
		t.Fatal("the secret key is in the request")
	}
	checkSignature(t, m, aws.Credentials{AccessKeyID: "AKIDTESTENV", SecretAccessKey: "env-secret-key", SessionToken: "env-session-token"}, "eu-west-1")
}

// A named profile of the shared credentials file (awsProfileName in a
// Java sasl.jaas.config), and AWS_REGION when the host has no region.
func TestAWSMSKIAMProfileFromJAAS(t *testing.T) {
	dir := isolateAWS(t)
	creds := "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret\n\n" +
		"[msk-reader]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"
	if err := os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_REGION", "ap-south-1")
	p := &Profile{}
	if err := p.Apply([]Property{
		{Key: "security.protocol", Value: "SASL_SSL", Where: "f:1"},
		{Key: "sasl.mechanism", Value: "AWS_MSK_IAM", Where: "f:2"},
		{Key: "sasl.jaas.config", Value: `software.amazon.msk.auth.iam.IAMLoginModule required awsProfileName="msk-reader";`, Where: "f:3"},
		{Key: "sasl.client.callback.handler.class", Value: "software.amazon.msk.auth.iam.IAMClientCallbackHandler", Where: "f:4"},
	}); err != nil {
		t.Fatal(err)
	}
	if p.Security.SASL.AWS.Profile != "msk-reader" {
		t.Fatalf("profile %q", p.Security.SASL.AWS.Profile)
	}
	m := signedPayload(t, p.Security.SASL.AWS, "kafka.internal.example:9098")
	if !strings.HasPrefix(m["x-amz-credential"], "AKIDPROFILE/") || !strings.Contains(m["x-amz-credential"], "/ap-south-1/kafka-cluster/") {
		t.Fatalf("credential %q", m["x-amz-credential"])
	}
	checkSignature(t, m, aws.Credentials{AccessKeyID: "AKIDPROFILE", SecretAccessKey: "profile-secret"}, "ap-south-1")
}

// Credentials that expire are fetched again before they do: a
// credential_process that hands out short-lived keys runs again when the
// cached ones are within the refresh window.
func TestAWSMSKIAMRefreshesExpiringCredentials(t *testing.T) {
	dir := isolateAWS(t)
	counter := filepath.Join(dir, "count")
	script := filepath.Join(dir, "creds.sh")
	// Each run appends a line and prints keys that expire in 2 minutes
	// (inside the 5-minute refresh window, so every use refreshes).
	body := "#!/bin/sh\necho x >> " + counter + "\nn=$(wc -l < " + counter + " | tr -d ' ')\n" +
		`exp=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)` + "\n" +
		`printf '{"Version":1,"AccessKeyId":"AKIDPROC%s","SecretAccessKey":"proc-secret","SessionToken":"t","Expiration":"%s"}' "$n" "$exp"` + "\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[profile proc]\ncredential_process = "+script+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mech, err := awsMechanism(context.Background(), AWS{Profile: "proc"})
	if err != nil {
		t.Fatal(err)
	}
	host := "b-1.x.y.c1.kafka.us-east-2.amazonaws.com:9098"
	var ids []string
	for i := 0; i < 2; i++ {
		_, first, err := mech.Authenticate(context.Background(), host)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		_ = json.Unmarshal(first, &m)
		ids = append(ids, strings.SplitN(m["x-amz-credential"], "/", 2)[0])
	}
	if ids[0] != "AKIDPROC1" || ids[1] != "AKIDPROC2" {
		t.Fatalf("access keys %v: want a refresh before expiry (AKIDPROC1 then AKIDPROC2)", ids)
	}
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
