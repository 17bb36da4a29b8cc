"""The table: its row, the columns that hold a session's rows, the filter language."""
