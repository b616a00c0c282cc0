from greenstats.cli import main

main()
