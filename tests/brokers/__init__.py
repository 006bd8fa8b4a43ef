"""Broker fixtures shared by the artifact tests (render/) and the behaviour tests (e2e/): make a plan, apply its
rendered files to the real broker under run-unique names, clean up."""
