package awsapi

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// CloudWatchAPI is the part of the CloudWatch client the adapter uses.
type CloudWatchAPI interface {
	DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// CloudWatch adapts the CloudWatch client to shift.Alarms and shift.Metrics.
type CloudWatch struct {
	API      CloudWatchAPI
	Endpoint string
}

var (
	_ shift.Alarms  = (*CloudWatch)(nil)
	_ shift.Metrics = (*CloudWatch)(nil)
)

// DescribeAlarms reads metric and composite alarms by name, one call for up to
// shift.MaxAlarmsPerCall names (more pages only if AWS paginates anyway).
func (c *CloudWatch) DescribeAlarms(ctx context.Context, names []string) ([]shift.AlarmState, error) {
	in := &cloudwatch.DescribeAlarmsInput{
		AlarmNames: names,
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm},
		MaxRecords: aws.Int32(shift.MaxAlarmsPerCall),
	}
	var states []shift.AlarmState
	for {
		out, err := c.API.DescribeAlarms(ctx, in)
		if err != nil {
			return nil, wrapErr("CloudWatch", "DescribeAlarms", c.Endpoint, err)
		}
		for _, a := range out.MetricAlarms {
			states = append(states, shift.AlarmState{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
		}
		for _, a := range out.CompositeAlarms {
			states = append(states, shift.AlarmState{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
		}
		if aws.ToString(out.NextToken) == "" {
			return states, nil
		}
		in.NextToken = out.NextToken
	}
}

// GetMetricData reads Invocations, Errors (sums) and p99 Duration of each version of an
// alias over [Start, End) in one call, split by the ExecutedVersion dimension. Lambda
// emits no datapoint for a zero count, so a missing datapoint reads as zero.
func (c *CloudWatch) GetMetricData(ctx context.Context, q shift.MetricQuery) (shift.MetricData, error) {
	span := q.End.Sub(q.Start)
	period := int32(math.Ceil(span.Seconds()/60)) * 60
	if period < 60 {
		period = 60
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(q.Start.Truncate(time.Minute)),
		EndTime:   aws.Time(q.Start.Truncate(time.Minute).Add(time.Duration(period) * time.Second)),
		ScanBy:    types.ScanByTimestampAscending,
	}
	dims := func(version string) []types.Dimension {
		return []types.Dimension{
			{Name: aws.String("FunctionName"), Value: aws.String(q.Function)},
			{Name: aws.String("Resource"), Value: aws.String(q.Function + ":" + q.Alias)},
			{Name: aws.String("ExecutedVersion"), Value: aws.String(version)},
		}
	}
	for i, v := range q.Versions {
		for _, m := range []struct{ id, metric, stat string }{
			{"inv", "Invocations", "Sum"}, {"err", "Errors", "Sum"}, {"p99", "Duration", "p99"},
		} {
			in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("%s%d", m.id, i)),
				MetricStat: &types.MetricStat{
					Metric: &types.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(m.metric), Dimensions: dims(v)},
					Period: aws.Int32(period),
					Stat:   aws.String(m.stat),
				},
			})
		}
	}
	data := shift.MetricData{ByVersion: map[string]shift.VersionMetrics{}}
	for _, v := range q.Versions {
		data.ByVersion[v] = shift.VersionMetrics{}
	}
	for {
		out, err := c.API.GetMetricData(ctx, in)
		if err != nil {
			return shift.MetricData{}, wrapErr("CloudWatch", "GetMetricData", c.Endpoint, err)
		}
		for _, r := range out.MetricDataResults {
			var kind string
			var idx int
			if _, err := fmt.Sscanf(aws.ToString(r.Id), "%3s%d", &kind, &idx); err != nil || idx >= len(q.Versions) {
				continue
			}
			vm := data.ByVersion[q.Versions[idx]]
			for _, val := range r.Values {
				switch kind {
				case "inv":
					vm.Invocations += val
				case "err":
					vm.Errors += val
				case "p99":
					if d := time.Duration(val * float64(time.Millisecond)); !vm.HasP99 || d > vm.P99Duration {
						vm.P99Duration, vm.HasP99 = d, true
					}
				}
			}
			data.ByVersion[q.Versions[idx]] = vm
		}
		if aws.ToString(out.NextToken) == "" {
			return data, nil
		}
		in.NextToken = out.NextToken
	}
}
