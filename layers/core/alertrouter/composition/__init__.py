"""The composition roots: one module per Lambda function, each building that function's object graph once
per container from its validated environment (settings are read and checked here, at the edge, nowhere
else). The functions' app.py files only call them."""
