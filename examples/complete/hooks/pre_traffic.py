"""pre_traffic hook: smoke-test the new version before any traffic moves to it.

safelambda invokes this synchronously with the release in the payload
(TargetVersionArn is the exact version under test). Returning
{"status": "Failed", "reason": ...} stops the release; so does raising.
"""
import json

import boto3

lambda_client = boto3.client("lambda")


def handler(event, context):
    target = event["TargetVersionArn"]
    resp = lambda_client.invoke(FunctionName=target, Payload=json.dumps({"path": "/health"}))
    if resp.get("FunctionError"):
        return {"status": "Failed", "reason": f"{target} raised {resp['FunctionError']}"}
    body = json.loads(resp["Payload"].read() or b"{}")
    if body.get("statusCode") != 200:
        return {"status": "Failed", "reason": f"{target} answered {body.get('statusCode')}"}
    return {"status": "Succeeded"}
