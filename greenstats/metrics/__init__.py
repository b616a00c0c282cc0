"""From a snapshot to numbers: the filters as SQL (`filters`), the parameterized reads
(`queries`, a module per kind of figure), the metrics table (`catalog`), the pure statistics
(`stats`) and distinct-user sketches (`sketch`). Reads `data`; never `ui` or `screens`."""
