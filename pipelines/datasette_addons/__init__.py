"""What `nianbao serve` adds to Datasette: table search for words of any length, Chinese headers, charts."""
