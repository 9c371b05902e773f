using System.Diagnostics;
using System.Globalization;
using MlNetDeep.Layers;
using MlNetDeep.Losses;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;

namespace MlNetDeep.Training;

/// <summary>
/// Mini-batch training by backpropagation (seed 000 algorithm 1.2): each epoch shuffles the data with the
/// seed, and for every mini-batch runs forward, the cost, backward, L1/L2, clipping, and one optimizer step
/// at the scheduled learning rate. Buffers are reused: a step allocates nothing in steady state. A run that diverges
/// stops with <see cref="TrainingDivergedException"/> at the mini-batch where it happens
/// (<see cref="TrainingOptions.DetectDivergence"/>, <see cref="TrainingOptions.DivergenceFactor"/>).
/// </summary>
/// <remarks>
/// When the network has a <see cref="BatchNormalization"/> layer that sees one value per channel in a row (a dense
/// input, or 1×1 maps), a last partial mini-batch of exactly one row cannot be normalised (the layer throws, as PyTorch
/// does): it is left out of the epoch, a different row each epoch when shuffling, and the epoch's
/// <see cref="EpochResult.TrainRows"/>, <see cref="EpochResult.TrainLoss"/> and <see cref="EpochResult.TrainAccuracy"/>
/// count only the rows trained. A single training row or a <see cref="TrainingOptions.BatchSize"/> of 1 with such a
/// layer is an error.
/// <para>
/// A network whose every layer computes each sample alone (<see cref="Layer.IsSampleIndependent"/>: no batch
/// normalisation, no dropout), trained with a loss that is a mean of per-row costs, runs a mini-batch in lanes: the rows
/// are cut into lanes of at least 32 rows, and of at least as many as make a lane's activations outnumber the network's
/// parameters (LeNet-5: 32 rows; an MLP whose weights outweigh its activations keeps its batches whole), at most 8 lanes;
/// each lane runs forward and backward on its own copy of the network (sharing its weights) on one core, into its own
/// gradients, in chunks of rows sized so that a chunk's largest activation stays
/// within the cores' caches (<see cref="ChunkBytes"/>; LeNet-5: 64 rows). Each chunk's cost gradient is weighted by its
/// share of the batch; the lanes' gradients are then added in lane order and the optimizer takes one step for the batch.
/// The step is the batch's (the same cost and gradient, summed in another order; a non-finite cost is reported after the
/// backward passes, still before the step); only its speed changes: the two cores meet once a batch instead of inside
/// every layer, and LeNet-5 at batch 256 trains as fast an image as at 64. The lanes and chunks depend on the batch's
/// rows and the network alone, never on the thread count, so the bits are the same on any core count. A network that
/// cannot be copied (<see cref="Serialization.NetworkFile.Clone"/>) runs its chunks one after another on itself.
/// </para>
/// </remarks>
public static class Trainer
{
    /// <summary>Bytes a chunk's largest activation may take when a mini-batch is trained in chunks (about two L2 caches).</summary>
    internal const int ChunkBytes = 5 << 18;

    /// <summary>The fewest rows a chunk may have: fewer would cost the kernels more than the caches save.</summary>
    internal const int MinChunkRows = 16;

    /// <summary>Trains <paramref name="network"/> on (<paramref name="features"/>, <paramref name="targets"/>).</summary>
    /// <param name="network">The network; built from the features' per-sample shape and the seed if it is not built yet.</param>
    /// <param name="features">Training inputs, [N, ...].</param>
    /// <param name="targets">Training targets, [N, ...] in the form the loss expects (class indices for softmax cross-entropy).</param>
    /// <param name="options">How to train.</param>
    /// <param name="validationFeatures">Optional validation inputs; when null, <see cref="TrainingOptions.ValidationFraction"/> may hold some out.</param>
    /// <param name="validationTargets">Validation targets, with <paramref name="validationFeatures"/>.</param>
    /// <param name="exampleWeights">
    /// Optional weights of the training rows, [N], finite and ≥ 0: each mini-batch's cost is then the weighted mean
    /// Σ w_i·C_i / Σ w_i (<see cref="Loss.Compute(Tensor, Tensor, Tensor?, ReadOnlySpan{float})"/>). The reported
    /// accuracy and the validation metrics are not weighted.
    /// </param>
    /// <returns>The per-epoch history.</returns>
    public static TrainingHistory Fit(
        Layer network,
        Tensor features,
        Tensor targets,
        TrainingOptions options,
        Tensor? validationFeatures = null,
        Tensor? validationTargets = null,
        Tensor? exampleWeights = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckData(features, targets, "training");
        if ((validationFeatures is null) != (validationTargets is null))
        {
            throw new ArgumentException("Give both validation features and validation targets, or neither.");
        }

        if (exampleWeights is not null)
        {
            CheckWeights(exampleWeights, features.Rows);
        }

        using var training = new TensorBatchSource(features, targets);
        using var validation = validationFeatures is null ? null : new TensorBatchSource(validationFeatures, validationTargets!);
        return Train(network, training, options, validation, exampleWeights, checkedTraining: true);
    }

    /// <summary>
    /// Trains <paramref name="network"/> on the rows of <paramref name="training"/>, pulled a mini-batch at a time: the
    /// data need not fit in memory. Augmentation, validation (a source, or rows held out by
    /// <see cref="TrainingOptions.ValidationFraction"/>), early stopping, divergence detection and the batch-normalisation
    /// rule work as with tensors; with a source that has random access the rows come in the same order as from tensors,
    /// so the same seed gives the same model.
    /// </summary>
    /// <param name="network">The network; built from the source's (augmented) sample shape and the seed if it is not built yet.</param>
    /// <param name="training">The training rows.</param>
    /// <param name="options">How to train.</param>
    /// <param name="validation">Optional validation rows, already of the network's input shape (not augmented); when null, <see cref="TrainingOptions.ValidationFraction"/> may hold some training rows out.</param>
    /// <param name="exampleWeights">Optional weights of the training rows, [Rows], indexed as the source's rows, finite and ≥ 0 (see the tensor overload).</param>
    /// <returns>The per-epoch history.</returns>
    /// <remarks>
    /// The rows of a source that is not in memory are checked as they are read: a NaN or infinite value, or a target the
    /// loss cannot take, stops training with an exception naming the row or the mini-batch. Training then returns nothing:
    /// the network has the weights of the last completed step, not a trained model.
    /// </remarks>
    public static TrainingHistory Fit(Layer network, BatchSource training, TrainingOptions options, BatchSource? validation = null, Tensor? exampleWeights = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (exampleWeights is not null)
        {
            CheckWeights(exampleWeights, training.Rows);
        }

        return Train(network, training, options, validation, exampleWeights, checkedTraining: false);
    }

    private static TrainingHistory Train(Layer network, BatchSource training, TrainingOptions options, BatchSource? validation, Tensor? weights, bool checkedTraining)
    {
        if (training.Rows < 1)
        {
            throw new ArgumentException("The training data have no rows.");
        }

        if (training is TensorBatchSource tensors && !checkedTraining)
        {
            CheckData(tensors.Features, tensors.Targets, "training");
        }

        var sampleShape = options.Augmentation?.OutputShape(training.FeatureShape) ?? training.FeatureShape.ToArray();
        if (!network.IsBuilt)
        {
            network.Build(sampleShape, new RandomSource(options.Seed));
        }

        CheckInputShape(network, training.Rows, sampleShape, options.Augmentation is null ? "training" : "augmented training");
        if (options.Loss.SpatialTargets is { } spatial)
        {
            var (h, w) = SpatialTargets.ImageSize(training.FeatureShape);
            if (spatial.CheckShape(training.TargetShape, h, w) is { } wrong)
            {
                throw new ArgumentException($"The training targets do not suit {options.Loss.GetType().Name}: {wrong}.");
            }
        }

        var outputs = Tensor.ProductOf(network.OutputShape);
        if (training is TensorBatchSource t)
        {
            CheckTargets(options.Loss, t.Targets, outputs, "training");
        }

        if (validation is not null)
        {
            if (validation is TensorBatchSource v)
            {
                CheckData(v.Features, v.Targets, "validation");
            }

            CheckInputShape(network, validation.Rows, validation.FeatureShape.ToArray(), "validation");
            if (validation is TensorBatchSource vt)
            {
                CheckTargets(options.Loss, vt.Targets, outputs, "validation");
            }
        }

        var rows = Enumerable.Range(0, training.Rows).ToArray();
        var random = new RandomSource(options.Seed ^ 0x5DEECE66DUL);
        int[] validationRows;
        var augmentValidation = false;
        TensorBatchSource? heldOut = null;
        if (validation is null && options.ValidationFraction > 0)
        {
            random.Shuffle(rows);
            var held = (int)Math.Round(rows.Length * options.ValidationFraction);
            if (held == 0 || held == rows.Length)
            {
                throw new ArgumentException($"ValidationFraction {options.ValidationFraction} of {rows.Length} rows leaves no training or no validation rows.");
            }

            validationRows = rows[^held..];
            rows = rows[..^held];
            if (!options.Shuffle)
            {
                // Without shuffling the rows train in their order in the data, as a source read in its own order gives them.
                Array.Sort(rows);
            }

            if (training is TensorBatchSource all)
            {
                // Held-out rows in memory are gathered and transformed once, in scoring mode.
                heldOut = new TensorBatchSource(
                    Gather(all.Features, validationRows, options.Augmentation, options.Seed),
                    GatherTargets(all, validationRows, options.Augmentation, options.Loss.SpatialTargets, options.Seed));
                validation = heldOut;
                validationRows = Enumerable.Range(0, heldOut.Rows).ToArray();
            }
            else
            {
                augmentValidation = options.Augmentation is not null;
            }
        }
        else
        {
            validationRows = validation is null ? [] : Enumerable.Range(0, validation.Rows).ToArray();
        }

        if (options.BatchSampler is not null && !training.HasRandomAccess)
        {
            throw new ArgumentException(
                $"{options.BatchSampler.GetType().Name} decides the order of the training rows, but the training source ({training.GetType().Name}) reads in its own order "
                + "(no random access): cache the data in memory or give a source with random access.");
        }

        if ((rows.Length == 1 || options.BatchSize == 1) && NormalizesSingleValues(network) is { } bn)
        {
            throw new ArgumentException(
                (rows.Length == 1 ? $"The training data have a single row{(options.ValidationFraction > 0 ? " once the validation rows are held out" : string.Empty)}"
                    : "BatchSize is 1")
                + $", but batch-normalisation layer '{bn.Name}' needs mini-batches of at least 2 rows (a single value per channel is its own mean). "
                + "Train on at least 2 rows with a BatchSize of at least 2, or use GroupNormalization, which normalises each sample on its own.");
        }

        try
        {
            var validationSource = validation ?? (validationRows.Length > 0 ? training : null);
            return new Run(network, training, options, rows, random, validationSource, validationRows, augmentValidation) { Weights = weights }.Execute();
        }
        finally
        {
            heldOut?.Dispose();
        }
    }

    private static void CheckWeights(Tensor weights, int rows)
    {
        if (weights.Length != rows)
        {
            throw new ArgumentException($"There are {weights.Length} example weights for {rows} training rows; expected one a row.");
        }

        var span = weights.Span;
        for (var i = 0; i < span.Length; i++)
        {
            if (!(span[i] >= 0 && float.IsFinite(span[i])))
            {
                throw new ArgumentException($"The example weight of training row {i} is {span[i]}; every weight must be a finite value ≥ 0.");
            }
        }
    }

    /// <summary>
    /// Rows per forward pass when evaluating the validation rows: 512, fewer when a row is so large that 512 of them would
    /// hold more than 2^24 values (64 MB), whatever the source, so that a source and tensors give the same sums.
    /// </summary>
    /// <summary>
    /// The rows of a chunk when <paramref name="network"/> trains with <paramref name="loss"/> in chunks (see the
    /// remarks): a multiple of 16 whose largest activation takes at most <see cref="ChunkBytes"/>; 0 when the network or
    /// the loss couples the rows of a batch, or when a chunk would have fewer than <see cref="MinChunkRows"/> rows.
    /// </summary>
    internal static int ChunkRows(Layer network, Loss loss)
    {
        if (!network.IsSampleIndependent || network is ITargetConsumer || !loss.IsMeanOfRows)
        {
            return 0;
        }

        static long Largest(Layer layer) => layer is Sequential chain
            ? chain.Layers.Max(Largest)
            : Math.Max(Tensor.ProductOf(layer.InputShape), Tensor.ProductOf(layer.OutputShape));

        var rows = (int)(ChunkBytes / (Largest(network) * sizeof(float))) & ~15;
        return rows >= MinChunkRows ? rows : 0;
    }

    internal static int EvaluationBatchSize(int rowSize) => Math.Clamp((1 << 24) / Math.Max(1, rowSize), 1, 512);

    /// <summary>Copies the given rows of <paramref name="source"/> into a new tensor, through <paramref name="augmentation"/>'s scoring mode if given.</summary>
    internal static Tensor Gather(Tensor source, ReadOnlySpan<int> rows, BatchAugmentation? augmentation = null, ulong seed = 0)
    {
        if (augmentation is not null)
        {
            var scored = new Tensor([rows.Length, .. augmentation.OutputShape(source.Shape[1..])]);
            augmentation.Apply(source, rows, seed, 0, training: false, scored);
            return scored;
        }

        var shape = source.ShapeArray();
        shape[0] = rows.Length;
        var result = new Tensor(shape);
        GatherInto(source, rows, result);
        return result;
    }

    /// <summary>The targets of the given rows; moved as the augmentation's scoring mode moves their pixels when they live in the image plane.</summary>
    private static Tensor GatherTargets(TensorBatchSource all, int[] rows, BatchAugmentation? augmentation, SpatialTargets? spatial, ulong seed)
    {
        var targets = Gather(all.Targets, rows);
        if (augmentation is null || spatial is null)
        {
            return targets;
        }

        var featureShape = all.FeatureShape;
        var moved = new Tensor([rows.Length, .. spatial.OutputShapeForImage(all.TargetShape, augmentation.OutputShape(featureShape))]);
        augmentation.MoveTargets(targets, rows, featureShape, spatial, seed, 0, training: false, moved);
        return moved;
    }

    /// <summary>The height and width of per-sample image shape <c>[C, H, W]</c> or <c>[H, W]</c>.</summary>
    internal static (int Height, int Width) ImageSize(ReadOnlySpan<int> shape) => shape.Length switch
    {
        3 => (shape[1], shape[2]),
        2 => (shape[0], shape[1]),
        _ => throw new ArgumentException(
            $"Targets in the image plane (boxes, masks) need image samples of shape [C, H, W] or [H, W]; the samples have shape [{string.Join(", ", shape.ToArray())}]."),
    };

    /// <summary>Copies the given rows of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    internal static void GatherInto(Tensor source, ReadOnlySpan<int> rows, Tensor destination)
    {
        var width = source.RowSize;
        for (var i = 0; i < rows.Length; i++)
        {
            source.Data.AsSpan(rows[i] * width, width).CopyTo(destination.Data.AsSpan(i * width, width));
        }
    }

    internal static void CheckData(Tensor features, Tensor targets, string role)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(targets);
        if (features.Rows != targets.Rows)
        {
            throw new ArgumentException($"The {role} features have {features.Rows} rows but the targets have {targets.Rows}.");
        }

        var bad = features.IndexOfNonFinite();
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"The {role} features hold {features[bad]} at row {bad / features.RowSize}, column {bad % features.RowSize}; every value must be finite.");
        }

        bad = targets.IndexOfNonFinite();
        if (bad >= 0)
        {
            throw new ArgumentException($"The {role} targets hold {targets[bad]} at row {bad / targets.RowSize}; every value must be finite.");
        }
    }

    /// <summary>The first batch-normalisation layer of <paramref name="layer"/> that sees one value per channel in a row (a dense input or 1×1 maps), or null.</summary>
    private static BatchNormalization? NormalizesSingleValues(Layer layer) => layer switch
    {
        BatchNormalization bn => Tensor.ProductOf(bn.InputShape) == bn.InputShape[0] ? bn : null,
        Sequential sequential => sequential.Layers.Select(NormalizesSingleValues).FirstOrDefault(b => b is not null),
        Graph graph => graph.Nodes.Select(n => n.Layer is { } inner ? NormalizesSingleValues(inner) : null).FirstOrDefault(b => b is not null),
        _ => null,
    };

    internal static void CheckInputShape(Layer network, int rows, int[] sampleShape, string role)
    {
        if (!sampleShape.AsSpan().SequenceEqual(network.InputShape) && Tensor.ProductOf(sampleShape) != Tensor.ProductOf(network.InputShape))
        {
            throw new ArgumentException(
                $"The {role} features have shape [{string.Join(", ", [rows, .. sampleShape])}] but network '{network.Name}' expects [N, {string.Join(", ", network.InputShape.ToArray())}].");
        }
    }

    private static void CheckTargets(Loss loss, Tensor targets, int outputs, string role)
    {
        var problem = loss.Validate(targets, outputs);
        if (problem is not null)
        {
            throw new ArgumentException($"The {role} targets are invalid for {loss.GetType().Name}: {problem}.");
        }
    }

    /// <summary>One training run's state and buffers.</summary>
    private sealed class Run(
        Layer network,
        BatchSource training,
        TrainingOptions options,
        int[] rows,
        RandomSource random,
        BatchSource? validation,
        int[] validationRows,
        bool augmentValidation) : ChunkedBatch.IObserver
    {
        /// <summary>The reference loss of <see cref="TrainingOptions.DivergenceFactor"/> is the mean over at least this many rows.</summary>
        private const int ReferenceRows = 32;

        private readonly Parameter[] _parameters = [.. network.Parameters];
        private readonly string[] _parameterNames = [.. network.ParameterNames()];
        private readonly Tensor[] _state = [.. network.Parameters.Select(p => p.Value), .. network.Buffers.Select(b => b.Value)];
        private readonly int _outputs = Tensor.ProductOf(network.OutputShape);
        private double _referenceSum;
        private int _referenceCount;
        private double _referenceLoss = double.NaN;

        // The batch whose outputs are checked and counted (whole or a chunk at a time, ChunkedBatch), and its counts.
        private int _epoch;
        private int _batch;
        private float _rate;
        private long _correct;
        private long _decisions;

        /// <summary>The training rows' example weights, [N] by source row, or null.</summary>
        public Tensor? Weights { get; init; }

        public TrainingHistory Execute()
        {
            network.ComputeInputGradient = false;
            var history = new TrainingHistory();
            var sampler = options.BatchSampler;
            var batchSize = sampler is null ? Math.Min(options.BatchSize, rows.Length) : options.BatchSize;
            var normalizesSingleValues = NormalizesSingleValues(network) is not null;

            // A sampler decides each epoch's rows (they may repeat); otherwise the epoch is the training rows, shuffled.
            var epochRows = sampler is null ? rows : new int[sampler.RowsPerEpoch(rows, batchSize)];
            var total = epochRows.Length;

            // Batch normalisation cannot normalise a last mini-batch of one row: leave it out (see the remarks).
            var planned = total % batchSize == 1 && batchSize > 1 && normalizesSingleValues ? total - 1 : total;
            var stepsPerEpoch = (planned + batchSize - 1) / batchSize;
            var checkTargets = training is not TensorBatchSource;
            Tensor? grad = null, wb = null;
            var chunks = new ChunkedBatch(network, options.Loss);
            var best = double.NaN;
            var bestEpoch = 0;
            float[][]? bestWeights = null;
            var sinceBest = 0;
            var step = options.Optimizer.Steps;
            var clock = new Stopwatch();
            var rate = options.Optimizer.LearningRate;
            var context = new TrainingContext(network, options);
            var callbacks = options.Callbacks;
            var reportBatches = options.BatchCompleted is not null || callbacks.Count > 0;
            for (var i = 0; i < callbacks.Count; i++)
            {
                callbacks[i].OnTrainBegin(context);
            }

            using var feed = new BatchFeed(training, options.Augmentation, training.IsInMemory ? 0 : options.ReadAhead, options.Loss.SpatialTargets);
            using var validationFeed = validation is null
                ? null
                : new BatchFeed(validation, augmentValidation ? options.Augmentation : null, validation.IsInMemory ? 0 : options.ReadAhead, options.Loss.SpatialTargets);

            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                clock.Restart();
                context.Epoch = epoch;
                if (sampler is not null)
                {
                    sampler.Arrange(rows, batchSize, options.Seed, epoch, epochRows);
                }
                else if (options.Shuffle && training.HasRandomAccess)
                {
                    random.Shuffle(rows);
                }

                double lossSum = 0;
                long correct = 0, decisions = 0;
                var trained = 0;
                feed.Start(epochRows, planned, batchSize, options.Shuffle, options.Seed, epoch, training: true);
                try
                {
                    for (var b = 0; b < stepsPerEpoch; b++)
                    {
                        options.CancellationToken.ThrowIfCancellationRequested();
                        if (!feed.Next(out var xb, out var yb, out var batchRows))
                        {
                            break;
                        }

                        var count = xb.Rows;
                        if (count == 1 && batchSize > 1 && normalizesSingleValues)
                        {
                            // A streamed epoch that skipped unreadable rows can end on a single row: left out as above.
                            break;
                        }

                        if (checkTargets)
                        {
                            CheckBatchTargets(yb, "training", epoch, b + 1);
                        }

                        foreach (var p in _parameters)
                        {
                            p.Gradient.Clear();
                        }

                        step++;
                        rate = (options.Schedule?.Rate(options.Optimizer.LearningRate, epoch, step, stepsPerEpoch, options.Epochs)
                                ?? options.Optimizer.LearningRate) * context.LearningRateFactor;
                        if (network is ITargetConsumer consumer)
                        {
                            consumer.SetTrainingTargets(yb);
                        }

                        if (Weights is not null)
                        {
                            GatherInto(Weights, batchRows, Tensor.Ensure(ref wb, count, []));
                        }

                        double loss;
                        var chunked = chunks.Splits(count);
                        (_epoch, _batch, _rate, _correct, _decisions) = (epoch, b + 1, rate, 0, 0);
                        if (chunked)
                        {
                            loss = chunks.Run(xb, yb, Weights is null ? null : wb, this);
                        }
                        else
                        {
                            var output = network.Forward(xb, training: true);
                            ((ChunkedBatch.IObserver)this).OnOutput(output, yb);
                            Tensor.Ensure(ref grad, count, network.OutputShape);
                            loss = Weights is not null ? options.Loss.Compute(output, yb, grad, wb!.Span) : options.Loss.Compute(output, yb, grad);
                        }

                        correct += _correct;
                        decisions += _decisions;

                        if (options.L1 > 0 || options.L2 > 0)
                        {
                            loss += Regularization.Penalty(_parameters, options.L1, options.L2);
                        }

                        if (!double.IsFinite(loss))
                        {
                            throw new TrainingDivergedException(epoch, b + 1, loss, rate);
                        }

                        if (options.DetectDivergence)
                        {
                            CheckLoss(loss, count, epoch, b + 1, b == stepsPerEpoch - 1, rate);
                        }

                        lossSum += loss * count;
                        trained += count;
                        if (!chunked)
                        {
                            network.Backward(grad!);
                        }

                        if (options.L1 > 0 || options.L2 > 0)
                        {
                            Regularization.AddGradients(_parameters, options.L1, options.L2);
                        }

                        if (options.GradientClipNorm is { } clip)
                        {
                            GradientClipping.ClipByGlobalNorm(_parameters, clip);
                        }

                        options.Optimizer.Step(_parameters, rate);
                        if (options.DetectDivergence)
                        {
                            CheckParameters(epoch, b + 1, loss, rate);
                        }

                        if (reportBatches)
                        {
                            ReportBatch(context, new BatchResult(
                                epoch, b + 1, stepsPerEpoch, trained, lossSum / trained, decisions > 0 ? (double)correct / decisions : null, rate, clock.Elapsed.TotalSeconds));
                        }
                    }
                }
                finally
                {
                    feed.Stop();
                }

                if (trained == 0)
                {
                    throw new InvalidOperationException($"Epoch {epoch} trained on no rows: the source delivered none of its {epochRows.Length} training rows.");
                }

                double? valLoss = null, valAcc = null;
                if (validationFeed is not null)
                {
                    (valLoss, valAcc) = Evaluate(validationFeed, epoch);
                }

                var result = new EpochResult(
                    epoch,
                    lossSum / trained,
                    options.Loss.IsClassification ? (double)correct / decisions : null,
                    valLoss,
                    valAcc,
                    rate,
                    clock.Elapsed.TotalSeconds) { TrainRows = trained };
                history.Add(result);
                options.EpochCompleted?.Invoke(result);
                for (var i = 0; i < callbacks.Count; i++)
                {
                    callbacks[i].OnEpochEnd(context, result);
                }

                var metric = options.EarlyStopping?.Monitor ?? MonitoredMetric.ValidationLoss;
                var monitored = metric.Value(result);
                if (metric.Improves(monitored, best, options.EarlyStopping?.MinDelta ?? 0))
                {
                    best = monitored;
                    bestEpoch = epoch;
                    sinceBest = 0;
                    if (options.EarlyStopping is { RestoreBestWeights: true })
                    {
                        bestWeights = Snapshot(bestWeights);
                    }
                }
                else if (options.EarlyStopping is { } stopping && ++sinceBest >= stopping.Patience)
                {
                    history.StoppedEarly = epoch < options.Epochs;
                    history.StopReason = $"early stopping: {metric.Name()} did not improve for {stopping.Patience} epoch(s) after epoch {bestEpoch}";
                    break;
                }

                if (context.StopTraining)
                {
                    history.StoppedEarly = epoch < options.Epochs;
                    history.StopReason = context.StopReason ?? "a callback stopped training";
                    break;
                }
            }

            history.BestEpoch = history.Epochs.Count;
            if (options.EarlyStopping is { RestoreBestWeights: true } && bestWeights is not null)
            {
                Restore(bestWeights);
                history.BestEpoch = bestEpoch;
            }

            for (var i = 0; i < callbacks.Count; i++)
            {
                callbacks[i].OnTrainEnd(context, history);
            }

            return history;
        }

        /// <summary>Hands a finished mini-batch to <see cref="TrainingOptions.BatchCompleted"/> and the callbacks.</summary>
        /// <summary>Checks a batch's (or a chunk's, <see cref="ChunkedBatch"/>) outputs for divergence and counts its correct decisions.</summary>
        void ChunkedBatch.IObserver.OnOutput(Tensor output, Tensor targets)
        {
            if (options.DetectDivergence)
            {
                CheckOutputs(output, _epoch, _batch, _rate);
            }

            if (options.Loss.IsClassification)
            {
                var (c, d) = Metrics.CountCorrect(output, targets, options.Loss);
                _correct += c;
                _decisions += d;
            }
        }

        private void ReportBatch(TrainingContext context, in BatchResult batch)
        {
            options.BatchCompleted?.Invoke(batch);
            var callbacks = options.Callbacks;
            for (var i = 0; i < callbacks.Count; i++)
            {
                callbacks[i].OnBatchEnd(context, batch);
            }
        }

        /// <summary>Mean loss and accuracy (null for regression losses) over the validation rows, in inference mode.</summary>
        private (double Loss, double? Accuracy) Evaluate(BatchFeed feed, int epoch)
        {
            double lossSum = 0;
            long correct = 0, decisions = 0, evaluated = 0;
            var checkTargets = validation is not TensorBatchSource;
            var batch = EvaluationBatchSize(Tensor.ProductOf(validation!.FeatureShape));
            feed.Start(validationRows, validationRows.Length, batch, shuffle: false, options.Seed, 0, training: false);
            try
            {
                for (var b = 1; ; b++)
                {
                    options.CancellationToken.ThrowIfCancellationRequested();
                    if (!feed.Next(out var x, out var y, out _))
                    {
                        break;
                    }

                    if (checkTargets)
                    {
                        CheckBatchTargets(y, "validation", epoch, b);
                    }

                    var output = network.Forward(x, training: false);
                    lossSum += options.Loss.Compute(output, y, null) * x.Rows;
                    evaluated += x.Rows;
                    if (options.Loss.IsClassification)
                    {
                        var (c, d) = Metrics.CountCorrect(output, y, options.Loss);
                        correct += c;
                        decisions += d;
                    }
                }
            }
            finally
            {
                feed.Stop();
            }

            if (evaluated == 0)
            {
                throw new InvalidOperationException($"The validation pass after epoch {epoch} read none of its {validationRows.Length} rows.");
            }

            return (lossSum / evaluated, options.Loss.IsClassification ? (double)correct / decisions : null);
        }

        /// <summary>Throws when a streamed mini-batch holds a target the loss cannot take (tensors are checked before training).</summary>
        private void CheckBatchTargets(Tensor targets, string role, int epoch, int batch)
        {
            var problem = options.Loss.Validate(targets, _outputs);
            if (problem is not null)
            {
                throw new ArgumentException(
                    $"The {role} targets of mini-batch {batch} of epoch {epoch} are invalid for {options.Loss.GetType().Name}: {problem}.");
            }
        }

        /// <summary>Throws when an output of the forward pass is NaN or infinite.</summary>
        private static void CheckOutputs(Tensor output, int epoch, int batch, float rate)
        {
            var bad = VectorOps.IndexOfNonFinite(output.Span);
            if (bad >= 0)
            {
                throw new TrainingDivergedException(epoch, batch, double.NaN, rate, DivergenceCause.NonFiniteOutputs, null,
                    string.Create(CultureInfo.InvariantCulture, $"{output.Span[bad]} at row {bad / output.RowSize} of the mini-batch, output {bad % output.RowSize}"));
            }
        }

        /// <summary>
        /// Throws when the loss exceeds <see cref="TrainingOptions.DivergenceFactor"/> times the reference: the mean loss
        /// of the run's first mini-batches, up to <see cref="ReferenceRows"/> rows or the end of the first epoch.
        /// </summary>
        private void CheckLoss(double loss, int rows, int epoch, int batch, bool lastOfEpoch, float rate)
        {
            if (double.IsNaN(_referenceLoss))
            {
                _referenceSum += loss * rows;
                _referenceCount += rows;

                // A reference of 0 (a network that fits its first rows exactly) would make any later loss an explosion.
                if (_referenceSum > 0 && (_referenceCount >= ReferenceRows || lastOfEpoch))
                {
                    _referenceLoss = _referenceSum / _referenceCount;
                }

                return;
            }

            if (loss > options.DivergenceFactor * _referenceLoss)
            {
                throw new TrainingDivergedException(epoch, batch, loss, rate, DivergenceCause.LossExploded, null,
                    string.Create(CultureInfo.InvariantCulture,
                        $"more than {nameof(TrainingOptions.DivergenceFactor)} ({options.DivergenceFactor:G4}) times the untrained network's loss {_referenceLoss:G4}"));
            }
        }

        /// <summary>
        /// Throws when a parameter is NaN or infinite after the update, naming its gradient as the cause when that is
        /// non-finite too (the update carries a NaN or ∞ gradient into the parameter), else the parameter.
        /// </summary>
        private void CheckParameters(int epoch, int batch, double loss, float rate)
        {
            for (var i = 0; i < _parameters.Length; i++)
            {
                var p = _parameters[i];
                if (p.Frozen || VectorOps.AllFinite(p.Value.Span))
                {
                    continue;
                }

                var ci = CultureInfo.InvariantCulture;
                var g = VectorOps.IndexOfNonFinite(p.Gradient.Span);
                if (g >= 0)
                {
                    throw new TrainingDivergedException(epoch, batch, loss, rate, DivergenceCause.NonFiniteGradient, _parameterNames[i],
                        string.Create(ci, $"{p.Gradient.Span[g]} at index {g} of {Tensor.Format(p.Gradient.Shape)}"));
                }

                var v = VectorOps.IndexOfNonFinite(p.Value.Span);
                throw new TrainingDivergedException(epoch, batch, loss, rate, DivergenceCause.NonFiniteParameter, _parameterNames[i],
                    string.Create(ci, $"{p.Value.Span[v]} at index {v} of {Tensor.Format(p.Value.Shape)}, from a finite gradient"));
            }
        }

        /// <summary>Copies the weights and buffers (such as running statistics), reusing <paramref name="into"/>.</summary>
        private float[][] Snapshot(float[][]? into)
        {
            into ??= [.. _state.Select(t => new float[t.Length])];
            for (var i = 0; i < _state.Length; i++)
            {
                _state[i].Span.CopyTo(into[i]);
            }

            return into;
        }

        private void Restore(float[][] saved)
        {
            for (var i = 0; i < _state.Length; i++)
            {
                saved[i].CopyTo(_state[i].Span);
            }
        }
    }
}
