"""From a snapshot to numbers: the filters as SQL (`filters`), the parameterized reads
(`queries`), the metrics table (`catalog`), the pure statistics (`stats`) and distinct-user
sketches (`sketch`). Reads `data`; never `ui` or `screens`."""
