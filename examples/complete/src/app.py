"""The application: reports which release answered."""
import json
import os


def handler(event, context):
    return {
        "statusCode": 200,
        "body": json.dumps({"release": os.environ.get("RELEASE", "unknown")}),
    }
