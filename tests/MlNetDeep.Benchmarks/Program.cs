using BenchmarkDotNet.Running;
using MlNetDeep.Benchmarks;

if (args.Length > 0 && args[0] == "yardstick")
{
    if (args.Length > 1 && args[1] == "convprofile")
    {
        ConvProfile.Run(args[2..]);
        return 0;
    }

    if (args.Length > 2 && args[1] == "netprofile")
    {
        NetProfile.Run(args[2], args[3..]);
        return 0;
    }

    return SideBySide.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "detection")
{
    return DetectionBenchmark.Run();
}

if (args.Length > 0 && args[0] == "streaming")
{
    return MlNetDeep.Benchmarks.Streaming.StreamingCommand.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(SideBySide).Assembly).Run(args);
return 0;
