using BenchmarkDotNet.Running;
using MlNetDeep.Benchmarks;

if (args.Length > 0 && args[0] == "yardstick")
{
    return SideBySide.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "streaming")
{
    return MlNetDeep.Benchmarks.Streaming.StreamingCommand.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(SideBySide).Assembly).Run(args);
return 0;
