"""Command-line interface: ``hupor <command>``. One module per subcommand, thin over the library."""
