// Package rds is the RDS probe: DB instance status through aws-sdk-go-v2.
package rds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rds"
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
}

// Probe is what panes depend on.
type Probe interface {
	Describe(ctx context.Context, id string) (Instance, error)
}

// API is the part of the RDS client the probe uses (lets tests substitute).
type API interface {
	DescribeDBInstances(ctx context.Context, in *rds.DescribeDBInstancesInput, opts ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
}

type probe struct{ api API }

// New wraps an RDS client.
func New(api API) Probe { return probe{api: api} }

// NewClient loads AWS config (region, profile; endpoint for tests) once,
// before the TUI starts; credentials are resolved lazily on first call.
func NewClient(ctx context.Context, region, profile, endpoint string) (*rds.Client, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("aws config: %w", err)
	}
	return rds.NewFromConfig(cfg, func(o *rds.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

func (p probe) Describe(ctx context.Context, id string) (Instance, error) {
	out, err := p.api.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		return Instance{}, err
	}
	if len(out.DBInstances) == 0 {
		return Instance{}, fmt.Errorf("instance %q not found", id)
	}
	d := out.DBInstances[0]
	in := Instance{
		ID:            aws.ToString(d.DBInstanceIdentifier),
		Status:        aws.ToString(d.DBInstanceStatus),
		Engine:        aws.ToString(d.Engine),
		EngineVersion: aws.ToString(d.EngineVersion),
		Class:         aws.ToString(d.DBInstanceClass),
		MultiAZ:       aws.ToBool(d.MultiAZ),
		AZ:            aws.ToString(d.AvailabilityZone),
		SecondaryAZ:   aws.ToString(d.SecondaryAvailabilityZone),
	}
	if d.Endpoint != nil {
		in.Endpoint = aws.ToString(d.Endpoint.Address)
		in.Port = aws.ToInt32(d.Endpoint.Port)
	}
	if d.PendingModifiedValues != nil && (d.PendingModifiedValues.DBInstanceClass != nil || d.PendingModifiedValues.EngineVersion != nil) {
		in.PendingChanges = true
	}
	return in, nil
}
