"""What tests, the demo and the bench share, installed with the project (pip install -e .) so that none of
them edits sys.path: the loopback stand-ins (moto server, Slack), fakes and clocks."""
