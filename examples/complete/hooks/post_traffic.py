"""post_traffic hook: end-to-end checks once the alias serves the new version.

A failure here rolls the alias back to the previous version.
"""
import json

import boto3

lambda_client = boto3.client("lambda")


def handler(event, context):
    alias_arn = event["TargetVersionArn"].rsplit(":", 1)[0] + ":" + event["Alias"]
    for path in ("/orders", "/orders/42"):
        resp = lambda_client.invoke(FunctionName=alias_arn, Payload=json.dumps({"path": path}))
        if resp.get("FunctionError"):
            return {"status": "Failed", "reason": f"GET {path} raised {resp['FunctionError']}"}
    return {"status": "Succeeded"}
