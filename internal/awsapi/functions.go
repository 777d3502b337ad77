package awsapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// EachFunction calls yield with the name of every function in the region the clients
// work in (ListFunctions, page by page), for discovery; it stops early when yield
// returns false, so a limited listing reads no more pages than it needs.
func (c *Clients) EachFunction(ctx context.Context, yield func(name string) bool) error {
	p := lambda.NewListFunctionsPaginator(c.Lambda, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return wrapErr("Lambda", "ListFunctions", c.LambdaEndpoint, err)
		}
		for _, f := range page.Functions {
			if !yield(aws.ToString(f.FunctionName)) {
				return nil
			}
		}
	}
	return nil
}
