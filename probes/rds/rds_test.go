package rds_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/warroom-dev/warroom/probes/rds"
)

// fakeRDS speaks the RDS query protocol (form-encoded Action=..., XML
// answers, ErrorResponse for faults) for DescribeDBInstances.
type fakeRDS struct {
	mu        sync.Mutex
	instances map[string]string // id -> <DBInstance> XML body
	requests  []string          // Action/DBInstanceIdentifier seen
	auth      []string          // Authorization headers seen
}

func (f *fakeRDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action, id := r.PostForm.Get("Action"), r.PostForm.Get("DBInstanceIdentifier")
	f.mu.Lock()
	f.requests = append(f.requests, action+"/"+id)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	body, ok := f.instances[id]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if r.Method != http.MethodPost || action != "DescribeDBInstances" || r.PostForm.Get("Version") != "2014-10-31" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, errorXML, "Sender", "InvalidAction", "unexpected request "+r.Method+" "+action)
		return
	}
	if !ok {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, errorXML, "Sender", "DBInstanceNotFound", "DBInstance "+id+" not found.")
		return
	}
	fmt.Fprintf(w, describeXML, body)
}

const describeXML = `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult>
    <DBInstances>
      <DBInstance>%s</DBInstance>
    </DBInstances>
  </DescribeDBInstancesResult>
  <ResponseMetadata><RequestId>7c3b1a9e-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</DescribeDBInstancesResponse>`

const errorXML = `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>7c3b1a9e-0000-4000-8000-000000000002</RequestId>
</ErrorResponse>`

const ordersDB = `
        <DBInstanceIdentifier>orders-db</DBInstanceIdentifier>
        <DBInstanceClass>db.r6g.xlarge</DBInstanceClass>
        <Engine>postgres</Engine>
        <EngineVersion>15.8</EngineVersion>
        <DBInstanceStatus>rebooting</DBInstanceStatus>
        <MultiAZ>true</MultiAZ>
        <AvailabilityZone>eu-west-1a</AvailabilityZone>
        <SecondaryAvailabilityZone>eu-west-1b</SecondaryAvailabilityZone>
        <Endpoint>
          <Address>orders-db.abcdefghij.eu-west-1.rds.amazonaws.com</Address>
          <Port>5432</Port>
          <HostedZoneId>Z29XKXDKYMONMX</HostedZoneId>
        </Endpoint>
        <PendingModifiedValues>
          <DBInstanceClass>db.r6g.2xlarge</DBInstanceClass>
        </PendingModifiedValues>`

// hermeticAWS keeps the SDK away from real credentials, config files and
// the instance metadata service: static keys from the environment only.
func hermeticAWS(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDWARROOMTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "warroom-test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_RDS", "")
}

func newProbe(t *testing.T) (rds.Probe, *fakeRDS) {
	t.Helper()
	hermeticAWS(t)
	f := &fakeRDS{instances: map[string]string{"orders-db": ordersDB}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	client, err := rds.NewClient(ctx, "eu-west-1", "", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return rds.New(client), f
}

func TestDescribeOverQueryProtocol(t *testing.T) {
	p, f := newProbe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := p.Describe(ctx, "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	want := rds.Instance{
		ID: "orders-db", Status: "rebooting", Engine: "postgres", EngineVersion: "15.8",
		Class: "db.r6g.xlarge", MultiAZ: true, AZ: "eu-west-1a", SecondaryAZ: "eu-west-1b",
		Endpoint: "orders-db.abcdefghij.eu-west-1.rds.amazonaws.com", Port: 5432, PendingChanges: true,
	}
	if got != want {
		t.Errorf("Describe:\n got %+v\nwant %+v", got, want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 1 || f.requests[0] != "DescribeDBInstances/orders-db" {
		t.Errorf("requests: %v", f.requests)
	}
	if len(f.auth) != 1 || !strings.HasPrefix(f.auth[0], "AWS4-HMAC-SHA256 Credential=AKIDWARROOMTEST/") ||
		!strings.Contains(f.auth[0], "/eu-west-1/rds/aws4_request") {
		t.Errorf("request not SigV4-signed for rds in eu-west-1: %q", f.auth)
	}
}

func TestDescribeNotFoundFault(t *testing.T) {
	p, f := newProbe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.Describe(ctx, "nope")
	if err == nil {
		t.Fatal("no error for a missing instance")
	}
	var nf *types.DBInstanceNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("error %T %v, want a DBInstanceNotFoundFault", err, err)
	}
	if !strings.Contains(err.Error(), "DBInstance nope not found") {
		t.Errorf("error lost the service's message: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) != 1 {
		t.Errorf("a 4xx fault was retried: %v", f.requests)
	}
}
