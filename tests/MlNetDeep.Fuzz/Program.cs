using System.Globalization;
using MlNetDeep.Fuzz;

// The fuzzer and the fault-injection child of MlNetDeep's tests (the README, "Files are not trusted" in "The engine in C#"):
//   fuzz [--format pipeline|network|weights|onnx|all] [--count N] [--seed S] [--timeout-seconds T]
//   replay FILE --format pipeline|network|weights|onnx   (a failure the fuzzer saved, judged again)
//   save-loop PATH MEGABYTES
return args.FirstOrDefault() switch
{
    "fuzz" => FuzzCommand.Run(args[1..]),
    "replay" => FuzzCommand.Replay(args[1..]),
    "save-loop" when args.Length == 3 => SaveLoop.Run(args[1], int.Parse(args[2], CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: MlNetDeep.Fuzz fuzz [--format pipeline|network|weights|onnx|all] [--count N] [--seed S] [--timeout-seconds T]");
    Console.Error.WriteLine("       MlNetDeep.Fuzz replay FILE --format pipeline|network|weights|onnx");
    Console.Error.WriteLine("       MlNetDeep.Fuzz save-loop PATH MEGABYTES");
    return 2;
}
