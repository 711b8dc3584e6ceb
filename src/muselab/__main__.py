from muselab.cli import main

main()
