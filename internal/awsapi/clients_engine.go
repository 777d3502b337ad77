package awsapi

import "github.com/safelambda/terraform-provider-safelambda/internal/shift"

// Engine returns the adapters the release engine talks to.
func (c *Clients) Engine() shift.AWS {
	l := &Lambda{API: c.Lambda, Endpoint: c.LambdaEndpoint, InvokeRetryer: c.InvokeRetryer}
	cw := &CloudWatch{API: c.CloudWatch, Endpoint: c.CloudWatchEndpoint}
	return shift.AWS{Functions: l, Aliases: l, Invoker: l, Alarms: cw, Metrics: cw, Consumers: l, Triggers: l}
}
