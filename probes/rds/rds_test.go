package rds_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/warroom-dev/warroom/probes/rds"
)

// fakeRDS speaks the RDS query protocol (form-encoded Action=..., XML
// answers, ErrorResponse for faults) for the four calls the probe makes.
type fakeRDS struct {
	mu          sync.Mutex
	instances   map[string]string // id -> <DBInstance> XML body
	maintenance string            // <ResourcePendingMaintenanceActions> elements
	events      []string          // <Event> elements, oldest first (as RDS answers)
	faults      map[string]fault  // Action (or "*") -> the fault to answer
	forms       []url.Values      // every request's form, in order
	auth        []string          // Authorization headers seen
}

type fault struct {
	status        int
	code, message string
}

func (f *fakeRDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form := r.PostForm
	action, id := form.Get("Action"), form.Get("DBInstanceIdentifier")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forms = append(f.forms, form)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	w.Header().Set("Content-Type", "text/xml")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, errorXML, "Sender", code, msg)
	}
	if r.Method != http.MethodPost || form.Get("Version") != "2014-10-31" {
		fail(http.StatusBadRequest, "InvalidAction", "unexpected request "+r.Method+" "+action)
		return
	}
	for _, k := range []string{action, "*"} {
		if ft, ok := f.faults[k]; ok {
			fail(ft.status, ft.code, ft.message)
			return
		}
	}
	switch action {
	case "DescribeDBInstances":
		body, ok := f.instances[id]
		if !ok {
			fail(http.StatusNotFound, "DBInstanceNotFound", "DBInstance "+id+" not found.")
			return
		}
		fmt.Fprintf(w, describeXML, body)
	case "RebootDBInstance":
		body, ok := f.instances[id]
		if !ok {
			fail(http.StatusNotFound, "DBInstanceNotFound", "DBInstance "+id+" not found.")
			return
		}
		body = strings.Replace(body, "<DBInstanceStatus>available</DBInstanceStatus>", "<DBInstanceStatus>rebooting</DBInstanceStatus>", 1)
		fmt.Fprintf(w, rebootXML, body)
	case "DescribePendingMaintenanceActions":
		fmt.Fprintf(w, maintenanceXML, f.maintenance)
	case "DescribeEvents":
		// Pages of MaxRecords; the marker is the next event's index.
		start, _ := strconv.Atoi(form.Get("Marker"))
		n, _ := strconv.Atoi(form.Get("MaxRecords"))
		end, marker := min(start+n, len(f.events)), ""
		if end < len(f.events) {
			marker = "<Marker>" + strconv.Itoa(end) + "</Marker>"
		}
		fmt.Fprintf(w, eventsXML, strings.Join(f.events[start:end], ""), marker)
	default:
		fail(http.StatusBadRequest, "InvalidAction", "unexpected action "+action)
	}
}

// requests is what the server saw: Action/DBInstanceIdentifier each.
func (f *fakeRDS) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.forms {
		out = append(out, v.Get("Action")+"/"+v.Get("DBInstanceIdentifier"))
	}
	return out
}

// form is the request form of the only call of action.
func (f *fakeRDS) form(t *testing.T, action string) url.Values {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var got []url.Values
	for _, v := range f.forms {
		if v.Get("Action") == action {
			got = append(got, v)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d %s requests, want 1", len(got), action)
	}
	return got[0]
}

const describeXML = `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeDBInstancesResult>
    <DBInstances>
      <DBInstance>%s</DBInstance>
    </DBInstances>
  </DescribeDBInstancesResult>
  <ResponseMetadata><RequestId>7c3b1a9e-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</DescribeDBInstancesResponse>`

const rebootXML = `<RebootDBInstanceResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <RebootDBInstanceResult>
    <DBInstance>%s</DBInstance>
  </RebootDBInstanceResult>
  <ResponseMetadata><RequestId>7c3b1a9e-0000-4000-8000-000000000003</RequestId></ResponseMetadata>
</RebootDBInstanceResponse>`

const maintenanceXML = `<DescribePendingMaintenanceActionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribePendingMaintenanceActionsResult>
    <PendingMaintenanceActions>%s</PendingMaintenanceActions>
  </DescribePendingMaintenanceActionsResult>
  <ResponseMetadata><RequestId>7c3b1a9e-0000-4000-8000-000000000004</RequestId></ResponseMetadata>
</DescribePendingMaintenanceActionsResponse>`

const eventsXML = `<DescribeEventsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <DescribeEventsResult>
    <Events>%s</Events>%s
  </DescribeEventsResult>
  <ResponseMetadata><RequestId>7c3b1a9e-0000-4000-8000-000000000005</RequestId></ResponseMetadata>
</DescribeEventsResponse>`

const errorXML = `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>
  <RequestId>7c3b1a9e-0000-4000-8000-000000000002</RequestId>
</ErrorResponse>`

const ordersARN = "arn:aws:rds:eu-west-1:123456789012:db:orders-db"

const ordersDB = `
        <DBInstanceIdentifier>orders-db</DBInstanceIdentifier>
        <DBInstanceArn>` + ordersARN + `</DBInstanceArn>
        <DBInstanceClass>db.r6g.xlarge</DBInstanceClass>
        <Engine>postgres</Engine>
        <EngineVersion>15.8</EngineVersion>
        <DBInstanceStatus>available</DBInstanceStatus>
        <MultiAZ>true</MultiAZ>
        <AvailabilityZone>eu-west-1a</AvailabilityZone>
        <SecondaryAvailabilityZone>eu-west-1b</SecondaryAvailabilityZone>
        <Endpoint>
          <Address>orders-db.abcdefghij.eu-west-1.rds.amazonaws.com</Address>
          <Port>5432</Port>
          <HostedZoneId>Z29XKXDKYMONMX</HostedZoneId>
        </Endpoint>
        <AllocatedStorage>500</AllocatedStorage>
        <MaxAllocatedStorage>1000</MaxAllocatedStorage>
        <StorageType>io1</StorageType>
        <Iops>12000</Iops>
        <PendingModifiedValues>
          <DBInstanceClass>db.r6g.2xlarge</DBInstanceClass>
          <EngineVersion>15.10</EngineVersion>
          <AllocatedStorage>800</AllocatedStorage>
          <MasterUserPassword>****</MasterUserPassword>
        </PendingModifiedValues>`

const reportsDB = `
        <DBInstanceIdentifier>reports-db</DBInstanceIdentifier>
        <DBInstanceArn>arn:aws:rds:eu-west-1:123456789012:db:reports-db</DBInstanceArn>
        <DBInstanceClass>db.t4g.medium</DBInstanceClass>
        <Engine>postgres</Engine>
        <EngineVersion>16.4</EngineVersion>
        <DBInstanceStatus>available</DBInstanceStatus>
        <MultiAZ>false</MultiAZ>
        <AvailabilityZone>eu-west-1c</AvailabilityZone>`

const auroraDB = `
        <DBInstanceIdentifier>ledger-1</DBInstanceIdentifier>
        <DBClusterIdentifier>ledger</DBClusterIdentifier>
        <DBInstanceClass>db.r6g.large</DBInstanceClass>
        <Engine>aurora-postgresql</Engine>
        <DBInstanceStatus>available</DBInstanceStatus>
        <MultiAZ>false</MultiAZ>`

const ordersMaintenance = `
      <ResourcePendingMaintenanceActions>
        <ResourceIdentifier>` + ordersARN + `</ResourceIdentifier>
        <PendingMaintenanceActionDetails>
          <PendingMaintenanceAction>
            <Action>system-update</Action>
            <Description>New Operating System update is available</Description>
            <AutoAppliedAfterDate>2026-03-10T02:00:00Z</AutoAppliedAfterDate>
            <ForcedApplyDate>2026-04-01T02:00:00Z</ForcedApplyDate>
            <CurrentApplyDate>2026-03-10T02:00:00Z</CurrentApplyDate>
            <OptInStatus>next-maintenance</OptInStatus>
          </PendingMaintenanceAction>
        </PendingMaintenanceActionDetails>
      </ResourcePendingMaintenanceActions>`

func event(at time.Time, msg string, cats ...string) string {
	var c strings.Builder
	for _, s := range cats {
		c.WriteString("<EventCategory>" + s + "</EventCategory>")
	}
	return `<Event><SourceIdentifier>orders-db</SourceIdentifier><SourceType>db-instance</SourceType>` +
		`<Message>` + msg + `</Message><EventCategories>` + c.String() + `</EventCategories>` +
		`<Date>` + at.UTC().Format("2006-01-02T15:04:05.000Z") + `</Date>` +
		`<SourceArn>` + ordersARN + `</SourceArn></Event>`
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

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
	// A user's retry settings must not lift the client's bound.
	t.Setenv("AWS_MAX_ATTEMPTS", "10")
	t.Setenv("AWS_RETRY_MODE", "adaptive")
}

// newProbe is a probe on a fresh fake holding orders-db (Multi-AZ, with
// maintenance and three events), reports-db (Single-AZ) and ledger-1
// (an Aurora cluster member).
func newProbe(t *testing.T) (rds.Probe, *fakeRDS) {
	t.Helper()
	hermeticAWS(t)
	f := &fakeRDS{
		instances:   map[string]string{"orders-db": ordersDB, "reports-db": reportsDB, "ledger-1": auroraDB},
		maintenance: ordersMaintenance,
		events: []string{
			event(t0, "DB instance restarted", "availability"),
			event(t0.Add(10*time.Minute), "Multi-AZ instance failover started", "failover"),
			event(t0.Add(11*time.Minute), "Multi-AZ instance failover completed", "failover", "availability"),
		},
		faults: map[string]fault{},
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client, err := rds.NewClient(context.Background(), "eu-west-1", "", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return rds.New(client), f
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDescribeOverQueryProtocol(t *testing.T) {
	p, f := newProbe(t)
	got, err := p.Describe(testCtx(t), "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	want := rds.Instance{
		ID: "orders-db", Status: "available", Engine: "postgres", EngineVersion: "15.8",
		Class: "db.r6g.xlarge", MultiAZ: true, AZ: "eu-west-1a", SecondaryAZ: "eu-west-1b",
		Endpoint: "orders-db.abcdefghij.eu-west-1.rds.amazonaws.com", Port: 5432, PendingChanges: true,
		AllocatedGiB: 500, MaxAllocatedGiB: 1000, StorageType: "io1", IOPS: 12000,
		Pending: []string{"class → db.r6g.2xlarge", "engine version → 15.10", "storage → 800 GiB", "master user password (new one pending)"},
		Maintenance: []rds.Maintenance{{
			Action: "system-update", Description: "New Operating System update is available",
			AutoAppliedAfter: time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC),
			ForcedApplyDate:  time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC),
			CurrentApplyDate: time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC),
			OptInStatus:      "next-maintenance",
		}},
		Events: []rds.Event{
			{At: t0.Add(11 * time.Minute), Message: "Multi-AZ instance failover completed", Categories: []string{"failover", "availability"}},
			{At: t0.Add(10 * time.Minute), Message: "Multi-AZ instance failover started", Categories: []string{"failover"}},
			{At: t0, Message: "DB instance restarted", Categories: []string{"availability"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe:\n got %+v\nwant %+v", got, want)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("%d requests, want 3 (instance, maintenance, events): %v", n, f.requests())
	}
	if v := f.form(t, "DescribeDBInstances"); v.Get("DBInstanceIdentifier") != "orders-db" {
		t.Errorf("DescribeDBInstances form: %v", v)
	}
	if v := f.form(t, "DescribePendingMaintenanceActions"); v.Get("ResourceIdentifier") != ordersARN {
		t.Errorf("DescribePendingMaintenanceActions not asked by the instance's ARN: %v", v)
	}
	v := f.form(t, "DescribeEvents")
	for k, want := range map[string]string{"SourceType": "db-instance", "SourceIdentifier": "orders-db", "Duration": "60", "MaxRecords": "100", "Version": "2014-10-31"} {
		if v.Get(k) != want {
			t.Errorf("DescribeEvents %s = %q, want %q (form %v)", k, v.Get(k), want, v)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.auth {
		if !strings.HasPrefix(a, "AWS4-HMAC-SHA256 Credential=AKIDWARROOMTEST/") || !strings.Contains(a, "/eu-west-1/rds/aws4_request") {
			t.Errorf("request not SigV4-signed for rds in eu-west-1: %q", a)
		}
	}
}

func TestDescribeWithoutARNFiltersByID(t *testing.T) {
	p, f := newProbe(t)
	if _, err := p.Describe(testCtx(t), "ledger-1"); err != nil {
		t.Fatal(err)
	}
	v := f.form(t, "DescribePendingMaintenanceActions")
	if v.Get("ResourceIdentifier") != "" || v.Get("Filters.Filter.1.Name") != "db-instance-id" || v.Get("Filters.Filter.1.Values.Value.1") != "ledger-1" {
		t.Errorf("maintenance not filtered by db-instance-id: %v", v)
	}
}

func TestEventsNewestFirstAcrossPages(t *testing.T) {
	p, f := newProbe(t)
	f.events = nil
	for i := range 130 {
		f.events = append(f.events, event(t0.Add(time.Duration(i)*10*time.Second), fmt.Sprintf("event %d", i)))
	}
	got, err := p.Describe(testCtx(t), "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != rds.MaxEvents {
		t.Fatalf("%d events, want %d", len(got.Events), rds.MaxEvents)
	}
	if first, last := got.Events[0].Message, got.Events[len(got.Events)-1].Message; first != "event 129" || last != "event 110" {
		t.Errorf("events run %q … %q, want the newest twenty: event 129 … event 110", first, last)
	}
	var pages []string
	for _, r := range f.requests() {
		if strings.HasPrefix(r, "DescribeEvents/") {
			pages = append(pages, r)
		}
	}
	if len(pages) != 2 {
		t.Errorf("%d DescribeEvents pages, want 2", len(pages))
	}
}

func TestDescribeNotFoundFault(t *testing.T) {
	p, f := newProbe(t)
	_, err := p.Describe(testCtx(t), "nope")
	if err == nil {
		t.Fatal("no error for a missing instance")
	}
	var nf *types.DBInstanceNotFoundFault
	if !errors.As(err, &nf) {
		t.Fatalf("error %T %v, want a DBInstanceNotFoundFault", err, err)
	}
	if want := `RDS instance "nope" not found (DBInstanceNotFound: DBInstance nope not found.)`; err.Error() != want {
		t.Errorf("error:\n got %q\nwant %q", err, want)
	}
	if r := f.requests(); len(r) != 1 || r[0] != "DescribeDBInstances/nope" {
		t.Errorf("a 4xx fault was retried or followed by more calls: %v", r)
	}
}

func TestDescribeThrottledGivesUp(t *testing.T) {
	p, f := newProbe(t)
	f.faults["*"] = fault{http.StatusBadRequest, "Throttling", "Rate exceeded"}
	_, err := p.Describe(testCtx(t), "orders-db")
	if err == nil {
		t.Fatal("no error while every call is throttled")
	}
	msg := err.Error()
	if !strings.Contains(msg, "throttled") || !strings.Contains(msg, "Throttling: Rate exceeded") {
		t.Errorf("error does not say throttled: %q", msg)
	}
	if n := len(f.requests()); n != rds.MaxAttempts {
		t.Errorf("the server saw %d attempts, want %d (AWS_MAX_ATTEMPTS=10 must not lift the bound)", n, rds.MaxAttempts)
	}
	for _, secret := range []string{"warroom-test-secret", "AKIDWARROOMTEST", "Signature=", "AWS4-HMAC-SHA256", "Authorization"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error names %q: %q", secret, msg)
		}
	}
}

func TestDescribePartial(t *testing.T) {
	p, f := newProbe(t)
	f.faults["DescribeEvents"] = fault{http.StatusForbidden, "AccessDenied",
		"User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: rds:DescribeEvents"}
	got, err := p.Describe(testCtx(t), "orders-db")
	if err != nil {
		t.Fatalf("events failing failed the instance: %v", err)
	}
	if got.Status != "available" || len(got.Maintenance) != 1 || got.Events != nil {
		t.Errorf("instance %+v, want it with its maintenance and no events", got)
	}
	want := []string{"events: RDS DescribeEvents orders-db: AccessDenied: User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: rds:DescribeEvents"}
	if !reflect.DeepEqual(got.Partial, want) {
		t.Errorf("Partial:\n got %q\nwant %q", got.Partial, want)
	}
}

func TestFailoverRefusedOnSingleAZ(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"reports-db", "reports-db is Single-AZ: "},
		{"ledger-1", "ledger-1 belongs to DB cluster ledger: "},
	} {
		t.Run(tc.id, func(t *testing.T) {
			p, f := newProbe(t)
			_, err := p.Failover(testCtx(t), tc.id)
			if !errors.Is(err, rds.ErrNotMultiAZ) {
				t.Fatalf("Failover(%s) = %v, want ErrNotMultiAZ", tc.id, err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q does not start %q", err, tc.want)
			}
			if r := f.requests(); len(r) != 1 || r[0] != "DescribeDBInstances/"+tc.id {
				t.Errorf("requests %v, want one DescribeDBInstances and no RebootDBInstance", r)
			}
		})
	}
}

func TestFailoverRebootsWithForceFailover(t *testing.T) {
	p, f := newProbe(t)
	got, err := p.Failover(testCtx(t), "orders-db")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "orders-db" || got.Status != "rebooting" || !got.MultiAZ {
		t.Errorf("Failover answered %+v, want orders-db rebooting", got)
	}
	if r := f.requests(); !reflect.DeepEqual(r, []string{"DescribeDBInstances/orders-db", "RebootDBInstance/orders-db"}) {
		t.Errorf("requests %v, want a fresh describe then the reboot", r)
	}
	v := f.form(t, "RebootDBInstance")
	if v.Get("ForceFailover") != "true" || v.Get("Version") != "2014-10-31" {
		t.Errorf("RebootDBInstance form %v, want ForceFailover=true", v)
	}
}

// The reboot is not retried: a throttled or lost answer is reported, and
// the server saw one reboot.
func TestFailoverRebootIsSentOnce(t *testing.T) {
	p, f := newProbe(t)
	f.faults["RebootDBInstance"] = fault{http.StatusBadRequest, "Throttling", "Rate exceeded"}
	if _, err := p.Failover(testCtx(t), "orders-db"); err == nil {
		t.Fatal("no error")
	}
	n := 0
	for _, r := range f.requests() {
		if strings.HasPrefix(r, "RebootDBInstance/") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d RebootDBInstance requests, want exactly 1: %v", n, f.requests())
	}
}

func TestFailoverMissingInstance(t *testing.T) {
	p, f := newProbe(t)
	_, err := p.Failover(testCtx(t), "nope")
	var nf *types.DBInstanceNotFoundFault
	if !errors.As(err, &nf) || errors.Is(err, rds.ErrNotMultiAZ) {
		t.Fatalf("Failover(nope) = %v, want DBInstanceNotFound", err)
	}
	if r := f.requests(); len(r) != 1 {
		t.Errorf("requests %v, want only the describe", r)
	}
}
