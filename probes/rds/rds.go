// Package rds is the RDS probe: DB instance status through aws-sdk-go-v2.
package rds

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/warroom-dev/warroom/probes"
)

// Instance is what the queries pane shows of an RDS instance.
type Instance struct {
	ID             string
	Status         string // available, rebooting, failing-over, …
	Engine         string
	EngineVersion  string
	Class          string
	MultiAZ        bool
	AZ             string
	SecondaryAZ    string
	Endpoint       string
	Port           int32
	PendingChanges bool
	// Storage: allocated GiB, the autoscaling ceiling (0: none), type
	// (gp3, io1, …) and provisioned IOPS (0: not shown).
	AllocatedGiB    int32
	MaxAllocatedGiB int32
	StorageType     string
	IOPS            int32
	// Pending lists PendingModifiedValues in words ("class → db.r6g.2xlarge").
	Pending []string
	// Maintenance is DescribePendingMaintenanceActions for the instance.
	Maintenance []Maintenance
	// Events are DescribeEvents for the instance over the last hour (up
	// to 20), newest first.
	Events []Event
	// Partial names what could not be read this time (events,
	// maintenance) while the instance itself was: shown, not fatal.
	Partial []string
}

// Maintenance is one pending maintenance action.
type Maintenance struct {
	Action           string // system-update, db-upgrade, …
	Description      string
	AutoAppliedAfter time.Time // zero: not set
	ForcedApplyDate  time.Time
	CurrentApplyDate time.Time
	OptInStatus      string
}

// Event is one RDS event.
type Event struct {
	At         time.Time
	Message    string
	Categories []string
}

// ErrNotMultiAZ: a reboot with failover needs a Multi-AZ instance.
var ErrNotMultiAZ = errors.New("not Multi-AZ: a reboot with failover needs a standby")

// Probe is what panes depend on.
type Probe interface {
	Describe(ctx context.Context, id string) (Instance, error)
	// Failover reboots id with ForceFailover after checking, with a fresh
	// DescribeDBInstances, that it is Multi-AZ (else ErrNotMultiAZ, and
	// nothing is rebooted). It returns the instance as RebootDBInstance
	// answered it (status "rebooting").
	Failover(ctx context.Context, id string) (Instance, error)
}

// OpFailover is the machine name of the failover action on the timeline.
const OpFailover = "rds.reboot-failover"

// API is the part of the RDS client the probe uses (lets tests substitute).
type API interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, opts ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribePendingMaintenanceActions(ctx context.Context, in *rds.DescribePendingMaintenanceActionsInput, opts ...func(*rds.Options)) (*rds.DescribePendingMaintenanceActionsOutput, error)
	DescribeEvents(ctx context.Context, in *rds.DescribeEventsInput, opts ...func(*rds.Options)) (*rds.DescribeEventsOutput, error)
	RebootDBInstance(ctx context.Context, in *rds.RebootDBInstanceInput, opts ...func(*rds.Options)) (*rds.RebootDBInstanceOutput, error)
}

type probe struct{ api API }

// New wraps an RDS client.
func New(api API) Probe { return probe{api: api} }

// The client's retries: a throttled or failing call is tried at most
// MaxAttempts times with at most MaxBackoff between tries, so a poll
// gives up in seconds (the pane polls again anyway); the process-wide
// retry quota is off, since three attempts already bound the load.
const (
	MaxAttempts = 3
	MaxBackoff  = 2 * time.Second
)

// NewClient loads AWS config (region, profile; endpoint for tests) once,
// before the TUI starts; credentials are resolved lazily on first call.
func NewClient(ctx context.Context, region, profile, endpoint string) (*rds.Client, error) {
	cfg, err := LoadConfig(ctx, region, profile)
	if err != nil {
		return nil, err
	}
	return rds.NewFromConfig(cfg, func(o *rds.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.MaxBackoff = MaxBackoff
			so.RateLimiter = ratelimit.None
		})
		// AWS_MAX_ATTEMPTS / max_attempts would wrap the retryer above
		// with more attempts: the bound is ours.
		o.RetryMaxAttempts = 0
	}), nil
}

// LoadConfig is the AWS default configuration (credential chain,
// shared config) with region and profile when given: for the RDS client,
// and for PostgreSQL's IAM auth tokens.
func LoadConfig(ctx context.Context, region, profile string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	return cfg, nil
}

// Describe reads the instance, then its pending maintenance and recent
// events side by side; either of those failing is Partial, not an error.
// Three calls per poll.
func (p probe) Describe(ctx context.Context, id string) (Instance, error) {
	d, err := p.describe(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	in := instance(d)
	if in.ID == "" {
		in.ID = id
	}
	var (
		wg          sync.WaitGroup
		events      []Event
		maint       []Maintenance
		evErr, mErr error
	)
	wg.Go(func() { events, evErr = p.events(ctx, in.ID) })
	wg.Go(func() { maint, mErr = p.maintenance(ctx, in.ID, aws.ToString(d.DBInstanceArn)) })
	wg.Wait()
	in.Events, in.Maintenance = events, maint
	if mErr != nil {
		in.Partial = append(in.Partial, "pending maintenance: "+mErr.Error())
	}
	if evErr != nil {
		in.Partial = append(in.Partial, "events: "+evErr.Error())
	}
	return in, nil
}

// Failover checks Multi-AZ on a fresh read, then reboots with failover.
func (p probe) Failover(ctx context.Context, id string) (Instance, error) {
	d, err := p.describe(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	if !aws.ToBool(d.MultiAZ) {
		if c := aws.ToString(d.DBClusterIdentifier); c != "" {
			return Instance{}, fmt.Errorf("%s belongs to DB cluster %s: fail the cluster over instead (aws rds failover-db-cluster): %w", id, c, ErrNotMultiAZ)
		}
		return Instance{}, fmt.Errorf("%s is Single-AZ: %w", id, ErrNotMultiAZ)
	}
	// Sent once: a reboot whose answer was lost must not be sent again
	// (the second would fail with InvalidDBInstanceState while the first
	// fails over, and the outcome would read as a failure).
	out, err := p.api.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{
		DBInstanceIdentifier: aws.String(id),
		ForceFailover:        aws.Bool(true),
	}, func(o *rds.Options) { o.Retryer = aws.NopRetryer{} })
	if err != nil {
		return Instance{}, apiError("RebootDBInstance", id, err)
	}
	if out.DBInstance == nil {
		return Instance{ID: id, Status: "rebooting"}, nil
	}
	return instance(*out.DBInstance), nil
}

func (p probe) describe(ctx context.Context, id string) (types.DBInstance, error) {
	out, err := p.api.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return types.DBInstance{}, apiError("DescribeDBInstances", id, err)
	}
	if len(out.DBInstances) == 0 {
		return types.DBInstance{}, fmt.Errorf("RDS instance %q not found", id)
	}
	return out.DBInstances[0], nil
}

// instance is what the pane shows of a DBInstance.
func instance(d types.DBInstance) Instance {
	in := Instance{
		ID:              aws.ToString(d.DBInstanceIdentifier),
		Status:          aws.ToString(d.DBInstanceStatus),
		Engine:          aws.ToString(d.Engine),
		EngineVersion:   aws.ToString(d.EngineVersion),
		Class:           aws.ToString(d.DBInstanceClass),
		MultiAZ:         aws.ToBool(d.MultiAZ),
		AZ:              aws.ToString(d.AvailabilityZone),
		SecondaryAZ:     aws.ToString(d.SecondaryAvailabilityZone),
		AllocatedGiB:    aws.ToInt32(d.AllocatedStorage),
		MaxAllocatedGiB: aws.ToInt32(d.MaxAllocatedStorage),
		StorageType:     aws.ToString(d.StorageType),
		IOPS:            aws.ToInt32(d.Iops),
		Pending:         pending(d.PendingModifiedValues),
	}
	if d.Endpoint != nil {
		in.Endpoint = aws.ToString(d.Endpoint.Address)
		in.Port = aws.ToInt32(d.Endpoint.Port)
	}
	in.PendingChanges = len(in.Pending) > 0
	return in
}

// pending is PendingModifiedValues in words, one change each, in the
// order an engineer weighs them (what changes the instance first). A new
// master password is named, never shown.
func pending(p *types.PendingModifiedValues) []string {
	if p == nil {
		return nil
	}
	var out []string
	add := func(what, v string) { out = append(out, what+" → "+v) }
	str := func(what string, v *string) {
		if v != nil {
			add(what, *v)
		}
	}
	num := func(what string, v *int32, unit string) {
		if v != nil {
			add(what, fmt.Sprint(*v)+unit)
		}
	}
	onOff := func(what string, v *bool) {
		if v != nil {
			add(what, map[bool]string{true: "on", false: "off"}[*v])
		}
	}
	str("class", p.DBInstanceClass)
	str("engine", p.Engine)
	str("engine version", p.EngineVersion)
	onOff("Multi-AZ", p.MultiAZ)
	num("storage", p.AllocatedStorage, " GiB")
	str("storage type", p.StorageType)
	num("IOPS", p.Iops, "")
	num("storage throughput", p.StorageThroughput, " MiB/s")
	if n := len(p.AdditionalStorageVolumes); n > 0 {
		add("additional storage volumes", fmt.Sprint(n))
	}
	onOff("dedicated log volume", p.DedicatedLogVolume)
	num("port", p.Port, "")
	str("identifier", p.DBInstanceIdentifier)
	str("CA certificate", p.CACertificateIdentifier)
	str("subnet group", p.DBSubnetGroupName)
	num("backup retention", p.BackupRetentionPeriod, " days")
	str("license model", p.LicenseModel)
	onOff("IAM database authentication", p.IAMDatabaseAuthenticationEnabled)
	onOff("multi-tenant", p.MultiTenant)
	if p.MasterUserPassword != nil {
		out = append(out, "master user password (new one pending)")
	}
	if l := p.PendingCloudwatchLogsExports; l != nil && len(l.LogTypesToEnable)+len(l.LogTypesToDisable) > 0 {
		var v []string
		for _, t := range l.LogTypesToEnable {
			v = append(v, "+"+t)
		}
		for _, t := range l.LogTypesToDisable {
			v = append(v, "-"+t)
		}
		add("log exports", strings.Join(v, " "))
	}
	if len(p.ProcessorFeatures) > 0 {
		var v []string
		for _, f := range p.ProcessorFeatures {
			v = append(v, aws.ToString(f.Name)+"="+aws.ToString(f.Value))
		}
		add("processor features", strings.Join(v, " "))
	}
	if p.AutomationMode != "" {
		add("automation mode", string(p.AutomationMode))
	}
	str("capacity reservation", p.DBCapacityReservationIdentifier)
	return out
}

// maintenance is the instance's pending maintenance: by ARN when the
// instance answer had one, else by the db-instance-id filter.
func (p probe) maintenance(ctx context.Context, id, arn string) ([]Maintenance, error) {
	in := &rds.DescribePendingMaintenanceActionsInput{}
	if arn != "" {
		in.ResourceIdentifier = aws.String(arn)
	} else {
		in.Filters = []types.Filter{{Name: aws.String("db-instance-id"), Values: []string{id}}}
	}
	out, err := p.api.DescribePendingMaintenanceActions(ctx, in)
	if err != nil {
		return nil, apiError("DescribePendingMaintenanceActions", id, err)
	}
	var ms []Maintenance
	for _, r := range out.PendingMaintenanceActions {
		for _, a := range r.PendingMaintenanceActionDetails {
			ms = append(ms, Maintenance{
				Action:           aws.ToString(a.Action),
				Description:      aws.ToString(a.Description),
				AutoAppliedAfter: aws.ToTime(a.AutoAppliedAfterDate),
				ForcedApplyDate:  aws.ToTime(a.ForcedApplyDate),
				CurrentApplyDate: aws.ToTime(a.CurrentApplyDate),
				OptInStatus:      aws.ToString(a.OptInStatus),
			})
		}
	}
	return ms, nil
}

// Events: the last hour, at most MaxEvents shown, newest first.
// DescribeEvents answers oldest first, so MaxRecords 20 would keep the
// oldest twenty of a busy hour (a failover alone is several events): the
// probe asks for pages of 100 and keeps the newest, reading at most
// eventPages pages.
const (
	MaxEvents  = 20
	eventPages = 3
)

func (p probe) events(ctx context.Context, id string) ([]Event, error) {
	in := &rds.DescribeEventsInput{
		SourceType:       types.SourceTypeDbInstance,
		SourceIdentifier: aws.String(id),
		Duration:         aws.Int32(60),
		MaxRecords:       aws.Int32(100),
	}
	var evs []Event
	for range eventPages {
		out, err := p.api.DescribeEvents(ctx, in)
		if err != nil {
			return nil, apiError("DescribeEvents", id, err)
		}
		for _, e := range out.Events {
			evs = append(evs, Event{At: aws.ToTime(e.Date), Message: aws.ToString(e.Message), Categories: e.EventCategories})
		}
		if aws.ToString(out.Marker) == "" {
			break
		}
		in.Marker = out.Marker
	}
	slices.SortStableFunc(evs, func(a, b Event) int { return b.At.Compare(a.At) })
	if len(evs) > MaxEvents {
		evs = evs[:MaxEvents]
	}
	return evs, nil
}

// awsError is an RDS call's failure in a line an on-call engineer reads:
// what was asked, the service's code and message; the SDK's error stays
// underneath for errors.As. Its text carries no request, header or
// credential: only codes, messages and the operation.
type awsError struct {
	text string
	err  error
}

func (e *awsError) Error() string { return e.text }
func (e *awsError) Unwrap() error { return e.err }

// apiError words err from operation op on instance id.
func apiError(op, id string, err error) error {
	var api interface {
		ErrorCode() string
		ErrorMessage() string
	}
	var text string
	switch {
	case errors.As(err, &api):
		code, msg := api.ErrorCode(), strings.TrimSpace(api.ErrorMessage())
		cause := code
		if msg != "" {
			cause += ": " + msg
		}
		var nf *types.DBInstanceNotFoundFault
		var tries *retry.MaxAttemptsError
		_, throttled := retry.DefaultThrottleErrorCodes[code]
		switch {
		case errors.As(err, &nf):
			text = fmt.Sprintf("RDS instance %q not found (%s)", id, cause)
		case throttled && errors.As(err, &tries):
			text = fmt.Sprintf("RDS %s throttled, gave up after %d attempts (%s)", op, tries.Attempt, cause)
		case throttled:
			text = fmt.Sprintf("RDS %s throttled (%s)", op, cause)
		default:
			text = fmt.Sprintf("RDS %s %s: %s", op, id, cause)
		}
	default:
		// Not the service's answer (credentials, network, context): the
		// SDK's cause without its "operation error RDS: Op," prefix.
		var oe interface {
			Service() string
			Operation() string
			Unwrap() error
		}
		cause := err
		if errors.As(err, &oe) && oe.Unwrap() != nil {
			cause = oe.Unwrap()
		}
		text = fmt.Sprintf("RDS %s %s: %s", op, id, cause)
	}
	return &awsError{text: probes.CleanText(text, nil), err: err}
}
