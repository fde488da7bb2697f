from xbot.entry import main

main()
