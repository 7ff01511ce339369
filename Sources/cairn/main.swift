import CairnCLI

await Cairn.main()
