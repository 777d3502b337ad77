# The members' aliases, comma-separated; each member is labelled by its function's name.
terraform import safelambda_deployment_group.orders orders-api:live,orders-worker:live,orders-notifier:live
