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
	p := cloudwatch.NewDescribeAlarmsPaginator(c.API, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("CloudWatch", "DescribeAlarms", c.Endpoint, err)
		}
		for _, a := range out.MetricAlarms {
			states = append(states, shift.AlarmState{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
		}
		for _, a := range out.CompositeAlarms {
			states = append(states, shift.AlarmState{Name: aws.ToString(a.AlarmName), State: string(a.StateValue), Reason: aws.ToString(a.StateReason)})
		}
	}
	return states, nil
}

// GetMetricData reads the Invocations and Errors sums (and, when asked, the p99 Duration)
// of each version of an alias over [Start, End) in one call, split by the ExecutedVersion
// dimension on Resource = function:alias. Lambda emits no datapoint for a zero count, so
// a missing datapoint reads as zero; a missing p99 stays unknown (HasP99 false).
//
// Lambda publishes at one-minute resolution, so the window is widened to whole minutes:
// from the minute Start falls in to the end of the minute End falls in, read as a single
// period so that the p99 is one percentile over the whole window (percentiles of parts
// cannot be combined).
func (c *CloudWatch) GetMetricData(ctx context.Context, q shift.MetricQuery) (shift.MetricData, error) {
	start, period := metricWindow(q.Start, q.End)
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start),
		EndTime:   aws.Time(start.Add(time.Duration(period) * time.Second)),
		ScanBy:    types.ScanByTimestampAscending,
	}
	type series struct{ version, kind string } // kind: inv, err, p99
	byID := map[string]series{}
	for i, v := range q.Versions {
		if v == "" {
			continue
		}
		dims := []types.Dimension{
			{Name: aws.String("FunctionName"), Value: aws.String(q.Function)},
			{Name: aws.String("Resource"), Value: aws.String(q.Function + ":" + q.Alias)},
			{Name: aws.String("ExecutedVersion"), Value: aws.String(v)},
		}
		metrics := []struct{ id, metric, stat string }{{"inv", "Invocations", "Sum"}, {"err", "Errors", "Sum"}}
		if q.P99 {
			metrics = append(metrics, struct{ id, metric, stat string }{"p99", "Duration", "p99"})
		}
		for _, m := range metrics {
			id := fmt.Sprintf("%s_%d", m.id, i)
			byID[id] = series{version: v, kind: m.id}
			in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
				Id: aws.String(id),
				MetricStat: &types.MetricStat{
					Metric: &types.Metric{Namespace: aws.String("AWS/Lambda"), MetricName: aws.String(m.metric), Dimensions: dims},
					Period: aws.Int32(period),
					Stat:   aws.String(m.stat),
				},
				ReturnData: aws.Bool(true),
			})
		}
	}
	data := shift.MetricData{ByVersion: map[string]shift.VersionMetrics{}}
	for _, v := range q.Versions {
		data.ByVersion[v] = shift.VersionMetrics{}
	}
	p := cloudwatch.NewGetMetricDataPaginator(c.API, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return shift.MetricData{}, wrapErr("CloudWatch", "GetMetricData", c.Endpoint, err)
		}
		for _, r := range out.MetricDataResults {
			s, ok := byID[aws.ToString(r.Id)]
			if !ok {
				continue
			}
			vm := data.ByVersion[s.version]
			for _, val := range r.Values {
				switch s.kind {
				case "inv":
					vm.Invocations += val
				case "err":
					vm.Errors += val
				case "p99":
					// One period gives one value; should AWS split it anyway, the worst
					// part stands for the whole.
					if d := time.Duration(val * float64(time.Millisecond)); !vm.HasP99 || d > vm.P99Duration {
						vm.P99Duration, vm.HasP99 = d, true
					}
				}
			}
			data.ByVersion[s.version] = vm
		}
	}
	return data, nil
}

// metricWindow widens [start, end) to whole minutes and returns its start and its length
// in seconds (a multiple of 60, at least 60), the single period it is read as.
func metricWindow(start, end time.Time) (time.Time, int32) {
	from := start.UTC().Truncate(time.Minute)
	minutes := int32(math.Ceil(end.Sub(from).Minutes()))
	return from, max(minutes, 1) * 60
}
