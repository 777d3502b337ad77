package awsapi

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// fakeCloudWatch records GetMetricData requests and answers them from a list of pages.
type fakeCloudWatch struct {
	CloudWatchAPI
	inputs []cloudwatch.GetMetricDataInput
	pages  []*cloudwatch.GetMetricDataOutput
}

func (f *fakeCloudWatch) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.inputs = append(f.inputs, *in)
	if len(f.pages) == 0 {
		return &cloudwatch.GetMetricDataOutput{}, nil
	}
	p := f.pages[0]
	f.pages = f.pages[1:]
	return p, nil
}

func result(id string, values ...float64) types.MetricDataResult {
	return types.MetricDataResult{Id: aws.String(id), Values: values, StatusCode: types.StatusCodeComplete}
}

var minute = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// The request: one call, Invocations and Errors sums and (only when asked) p99 Duration per
// version, on Lambda's exact dimensions, as a single period of whole minutes covering the
// window.
func TestGetMetricDataRequest(t *testing.T) {
	for _, p99 := range []bool{false, true} {
		f := &fakeCloudWatch{}
		cw := &CloudWatch{API: f}
		q := shift.MetricQuery{Function: "orders-api", Alias: "live", Versions: []string{"4", "3"},
			Start: minute.Add(50 * time.Second), End: minute.Add(70 * time.Second), P99: p99}
		if _, err := cw.GetMetricData(context.Background(), q); err != nil {
			t.Fatal(err)
		}
		if len(f.inputs) != 1 {
			t.Fatalf("%d calls, want 1", len(f.inputs))
		}
		in := f.inputs[0]
		// 12:00:50 … 12:01:10 spans two minutes: 12:00 … 12:02, one 120s period.
		if !in.StartTime.Equal(minute) || !in.EndTime.Equal(minute.Add(2*time.Minute)) {
			t.Errorf("window %s … %s, want 12:00 … 12:02", in.StartTime, in.EndTime)
		}
		var got []string
		for _, mq := range in.MetricDataQueries {
			ms := mq.MetricStat
			dims := map[string]string{}
			for _, d := range ms.Metric.Dimensions {
				dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
			}
			if dims["FunctionName"] != "orders-api" || dims["Resource"] != "orders-api:live" || len(dims) != 3 ||
				aws.ToString(ms.Metric.Namespace) != "AWS/Lambda" || aws.ToInt32(ms.Period) != 120 {
				t.Errorf("query %s: namespace %s, dimensions %v, period %d", aws.ToString(mq.Id), aws.ToString(ms.Metric.Namespace), dims, aws.ToInt32(ms.Period))
			}
			got = append(got, aws.ToString(mq.Id)+" "+aws.ToString(ms.Metric.MetricName)+" "+aws.ToString(ms.Stat)+" v"+dims["ExecutedVersion"])
		}
		want := []string{"inv_0 Invocations Sum v4", "err_0 Errors Sum v4", "inv_1 Invocations Sum v3", "err_1 Errors Sum v3"}
		if p99 {
			want = []string{"inv_0 Invocations Sum v4", "err_0 Errors Sum v4", "p99_0 Duration p99 v4", "inv_1 Invocations Sum v3", "err_1 Errors Sum v3", "p99_1 Duration p99 v3"}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("P99 %v: queries\n  %q\nwant\n  %q", p99, got, want)
		}
	}
}

func TestMetricWindow(t *testing.T) {
	tests := []struct {
		start, end time.Duration // from 12:00:00
		from       time.Duration
		period     int32
	}{
		{50 * time.Second, 70 * time.Second, 0, 120}, // crosses a minute
		{10 * time.Second, 20 * time.Second, 0, 60},
		{0, time.Minute, 0, 60},
		{0, time.Minute + time.Millisecond, 0, 120},
		{90 * time.Second, 90 * time.Second, time.Minute, 60}, // empty: still one minute
		{30 * time.Second, 5*time.Minute + 30*time.Second, 0, 360},
	}
	for _, tt := range tests {
		from, period := metricWindow(minute.Add(tt.start), minute.Add(tt.end))
		if !from.Equal(minute.Add(tt.from)) || period != tt.period {
			t.Errorf("metricWindow(+%s, +%s) = +%s, %d; want +%s, %d", tt.start, tt.end, from.Sub(minute), period, tt.from, tt.period)
		}
	}
}

// The answer: sums per version, missing datapoints as zero, p99 in milliseconds as a
// duration (the worst when split), pages followed.
func TestGetMetricDataAnswer(t *testing.T) {
	f := &fakeCloudWatch{pages: []*cloudwatch.GetMetricDataOutput{
		{
			MetricDataResults: []types.MetricDataResult{
				result("inv_0", 120, 80), result("err_0", 3), result("p99_0", 812.5, 640),
				result("inv_1", 1800), result("err_1"), // no Errors datapoint: zero
				result("p99_1"), // no Duration datapoint: unknown
			},
			NextToken: aws.String("more"),
		},
		{MetricDataResults: []types.MetricDataResult{result("err_1", 2), result("unrelated", 99)}},
	}}
	cw := &CloudWatch{API: f}
	got, err := cw.GetMetricData(context.Background(), shift.MetricQuery{Function: "fn", Alias: "live", Versions: []string{"4", "3", "2"},
		Start: minute, End: minute.Add(time.Minute), P99: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]shift.VersionMetrics{
		"4": {Invocations: 200, Errors: 3, P99Duration: 812500 * time.Microsecond, HasP99: true},
		"3": {Invocations: 1800, Errors: 2},
		"2": {}, // no datapoints at all
	}
	if !reflect.DeepEqual(got.ByVersion, want) {
		t.Errorf("got %+v\nwant %+v", got.ByVersion, want)
	}
	if len(f.inputs) != 2 || aws.ToString(f.inputs[1].NextToken) != "more" {
		t.Errorf("pages: %d calls", len(f.inputs))
	}
}

// putAt writes one Lambda-shaped datapoint at a given time (acctest.PutLambdaMetric
// writes at now).
func putAt(t *testing.T, fn, alias, version, metric string, value float64, at time.Time) {
	t.Helper()
	_, err := acctest.CloudWatch(t).PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("AWS/Lambda"),
		MetricData: []types.MetricDatum{{
			MetricName: aws.String(metric),
			Value:      aws.Float64(value),
			Timestamp:  aws.Time(at),
			Dimensions: []types.Dimension{
				{Name: aws.String("FunctionName"), Value: aws.String(fn)},
				{Name: aws.String("Resource"), Value: aws.String(fn + ":" + alias)},
				{Name: aws.String("ExecutedVersion"), Value: aws.String(version)},
			},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Against moto: the adapter finds Lambda-shaped datapoints by their exact dimensions,
// sums them per version, reads a missing Errors datapoint as zero, keeps other aliases
// and functions out, and counts a datapoint in the minute the window ends in.
func TestGetMetricDataAgainstMoto(t *testing.T) {
	acctest.PreCheck(t)
	if acctest.RealAWS() {
		t.Skip("writes into AWS/Lambda, which real CloudWatch refuses")
	}
	fn := acctest.RandName("tf-acc-metrics")
	base := time.Now().UTC().Truncate(time.Minute).Add(-10 * time.Minute)
	start, end := base.Add(50*time.Second), base.Add(70*time.Second)
	putAt(t, fn, "live", "2", "Invocations", 40, base.Add(55*time.Second))
	putAt(t, fn, "live", "2", "Errors", 3, base.Add(55*time.Second))
	putAt(t, fn, "live", "2", "Invocations", 60, base.Add(65*time.Second))  // the next minute
	putAt(t, fn, "live", "1", "Invocations", 900, base.Add(60*time.Second)) // no Errors datapoint
	putAt(t, fn, "beta", "2", "Errors", 50, base.Add(60*time.Second))       // another alias
	putAt(t, fn+"-other", "live", "2", "Errors", 50, base.Add(60*time.Second))
	putAt(t, fn, "live", "2", "Errors", 70, base.Add(3*time.Minute)) // after the window

	cw := &CloudWatch{API: acctest.CloudWatch(t)}
	got, err := cw.GetMetricData(t.Context(), shift.MetricQuery{Function: fn, Alias: "live", Versions: []string{"2", "1", "7"}, Start: start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]shift.VersionMetrics{
		"2": {Invocations: 100, Errors: 3},
		"1": {Invocations: 900},
		"7": {},
	}
	if !reflect.DeepEqual(got.ByVersion, want) {
		t.Errorf("got %+v\nwant %+v", got.ByVersion, want)
	}
}

// moto 5.2.1 cannot compute percentiles: asked for p99 Duration over a window that holds
// Duration datapoints, it fails the whole GetMetricData call with a 500 (its statistics
// know Sum, Average, Minimum, Maximum and SampleCount only). So the p99 gate is proven by
// the engine's unit tests and TestGetMetricDataAnswer, never against moto; and the
// adapter asks for p99 only when max_p99_duration is set, so the other gates work on
// moto with Duration data present. If this test starts failing, moto learned percentiles:
// add an acceptance test for max_p99_duration.
func TestMotoCannotComputeP99(t *testing.T) {
	acctest.PreCheck(t)
	if acctest.RealAWS() {
		t.Skip("about moto only")
	}
	fn := acctest.RandName("tf-acc-p99")
	now := time.Now()
	putAt(t, fn, "live", "2", "Invocations", 10, now)
	putAt(t, fn, "live", "2", "Duration", 950, now)
	cw := &CloudWatch{API: acctest.CloudWatch(t)}
	q := shift.MetricQuery{Function: fn, Alias: "live", Versions: []string{"2", "1"}, Start: now.Add(-time.Second), End: now.Add(time.Second)}

	got, err := cw.GetMetricData(t.Context(), q)
	if err != nil || got.ByVersion["2"].Invocations != 10 {
		t.Fatalf("without p99: %+v, %v", got, err)
	}
	q.P99 = true
	_, err = cw.GetMetricData(t.Context(), q)
	var apiErr interface{ HTTPStatusCode() int }
	if err == nil || !errors.As(err, &apiErr) || apiErr.HTTPStatusCode() != 500 {
		t.Fatalf("moto answered a p99 query with %v; if it computes percentiles now, test max_p99_duration against it", err)
	}
	if !strings.Contains(err.Error(), "GetMetricData") {
		t.Errorf("error does not name the call: %v", err)
	}
}
