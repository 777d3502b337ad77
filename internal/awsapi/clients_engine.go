package awsapi

import "github.com/safelambda/terraform-provider-safelambda/internal/shift"

// Engine returns the adapters the release engine talks to.
func (c *Clients) Engine() shift.AWS {
	l := &Lambda{API: c.Lambda, Endpoint: c.LambdaEndpoint, InvokeRetryer: c.InvokeRetryer}
	cw := &CloudWatch{API: c.CloudWatch, Endpoint: c.CloudWatchEndpoint}
	aws := shift.AWS{Functions: l, Aliases: l, Invoker: l, Alarms: cw, Metrics: cw, Consumers: l, Triggers: l}
	if c.EventBridge != nil {
		aws.Events = &EventBridge{API: c.EventBridge, Endpoint: c.EventsEndpoint}
	}
	return aws
}
