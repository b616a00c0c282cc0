"""The data path, from input files to a published snapshot: the contract and its rules
(`contract`), reading and checking files (`csvfile`, `ingest`, `keyindex`), the methodology's
reference tables (`methodology`), the SQL models and their build (`models/`, `build`), the
snapshots and their one door to DuckDB (`warehouse`), the two together (`pipeline`), the demo
data (`demo/`) and the first start (`bootstrap`). Nothing here imports the layers above it
(`metrics`, `ui`, `screens`)."""
