"""The nianbao command line, the offline demo and the bundled simulated portals."""
