# No firewall at all: the fleet host as it starts.
true
