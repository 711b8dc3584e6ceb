"""Workflow nodes, one file per family. Registered in the 'muselab.nodes' entry-point group."""
