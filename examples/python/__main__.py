"""The program, as `pulumi up` runs it through the Python language host."""
from consumer import deploy

deploy()
