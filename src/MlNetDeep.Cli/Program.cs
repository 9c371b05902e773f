using MlNetDeep.Cli;

return CliApp.Run(args, Console.Out, Console.Error, Console.IsOutputRedirected);
