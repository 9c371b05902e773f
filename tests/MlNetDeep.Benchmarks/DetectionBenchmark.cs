using MlNetDeep.Tensors;
using System.Diagnostics;
using System.Text.Json;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Optimizers;
using MlNetDeep.Training;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/MlNetDeep.Benchmarks -- detection</c>: the convolutional sliding window
/// against one classifier run per window (the seed's 14 × 14 classifier over a 64 × 64 image, 26 × 26 windows), and
/// the YOLO detector's inference images/s (batch 64) and one training step (batch 32) — the same network and
/// measures as <c>pytorch_detection.py</c>, whose JSON lines it prints beside its own when python3 has torch.
/// 1 warm-up, median of 5. Prints JSON lines.
/// </summary>
internal static class DetectionBenchmark
{
    public static int Run()
    {
        // Sliding windows: per-window runs against one pass of the converted network.
        var classifier = new Sequential(
            new Conv2D(16, 5), new ReLU(), new MaxPool2D(2), new Flatten(),
            new Dense(400), new ReLU(), new Dense(400), new ReLU(), new Dense(4));
        classifier.Build([3, 14, 14], new RandomSource(1));
        var convolutional = SlidingWindows.ToConvolutional(classifier, [3, 64, 64]);
        var image = new Tensor(1, 3, 64, 64);
        for (var i = 0; i < image.Length; i++)
        {
            image[i] = (i * 0.618034f) % 1f;
        }

        var perWindow = Median(() => SlidingWindows.RunPerWindow(classifier, image, 2));
        var onePass = Median(() => convolutional.Forward(image, training: false));
        Print("sliding_window_per_window_s", perWindow);
        Print("sliding_window_convolutional_s", onePass);

        // YOLO: the network of the tests on 64 × 64 images, 2 anchors, 3 classes.
        var grid = new YoloGrid(64, 64, 8, [(15f, 14f), (26f, 24f)], 3);
        var network = YoloNetwork.Create(grid, 16);
        network.Build([3, 64, 64], new RandomSource(3));
        var batch = DetectionScenes.Generate(64, 4);
        var inference = Median(() => network.Forward(batch.Images, training: false));
        Print("yolo_inference_images_per_s_b64", (64 / inference.Median, 64 / inference.Max, 64 / inference.Min));

        var images = new Tensor(32, 3, 64, 64);
        batch.Images.Span[..images.Length].CopyTo(images.Span);
        var targets = new Tensor(32, DetectionScenes.MaxObjects, 5);
        batch.Targets.Span[..targets.Length].CopyTo(targets.Span);
        var loss = new YoloLoss(grid);
        var optimizer = new Adam(1e-3f);
        var gradient = new Tensor(32, grid.AnchorCount * grid.ValuesPerAnchor, 8, 8);
        var step = Median(() =>
        {
            foreach (var p in network.Parameters)
            {
                p.Gradient.Clear();
            }

            var output = network.Forward(images, training: true);
            loss.Compute(output, targets, gradient);
            network.Backward(gradient);
            optimizer.Step(network.Parameters);
        });
        Print("yolo_train_step_b32_s", step);

        // The script sits beside this file in the repository; the run starts anywhere below the repository's root.
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "tests", "MlNetDeep.Benchmarks", "pytorch_detection.py")))
        {
            directory = directory.Parent;
        }

        var script = directory is null ? null : Path.Combine(directory.FullName, "tests", "MlNetDeep.Benchmarks", "pytorch_detection.py");
        if (script is not null && File.Exists("/usr/bin/python3"))
        {
            var start = new ProcessStartInfo("/usr/bin/python3", script) { RedirectStandardOutput = true };
            start.Environment["LD_LIBRARY_PATH"] = "/usr/lib/x86_64-linux-gnu/openblas-openmp";
            using var python = Process.Start(start)!;
            Console.Write(python.StandardOutput.ReadToEnd());
            python.WaitForExit();
        }

        return 0;
    }

    private static (double Median, double Min, double Max) Median(Action action)
    {
        action();
        var seconds = new double[5];
        for (var i = 0; i < seconds.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            seconds[i] = watch.Elapsed.TotalSeconds;
        }

        Array.Sort(seconds);
        return (seconds[2], seconds[0], seconds[^1]);
    }

    private static void Print(string measure, (double Median, double Min, double Max) value) =>
        Console.WriteLine(JsonSerializer.Serialize(new { measure, median = value.Median, min = value.Min, max = value.Max, engine = "mlnetdeep", threads = Environment.ProcessorCount }));
}
