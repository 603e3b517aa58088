"""File imports (CSV/XLSX): reading real exports, mappings, dry runs and row-level reports."""
