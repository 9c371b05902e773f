using MlNetDeep.Cli;

return CommandLine.Run(args);
