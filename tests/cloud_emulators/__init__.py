"""Local emulators of the Alibaba Cloud ECS and Tencent Cloud VPC/CVM APIs for the tests.

Each is a small threaded ``http.server`` on 127.0.0.1 and a free port that checks the request signature
the way the real service does, answers with the documented response shapes and error codes, keeps its
state in memory (so a fix is visible to the next audit) and can be told to throttle the next N calls.
The real SDKs talk to them over HTTP through the providers' endpoint override.
"""
