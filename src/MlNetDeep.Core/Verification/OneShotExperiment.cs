using MlNetDeep.Data;
using MlNetDeep.Layers;
using MlNetDeep.Layers.Activations;
using MlNetDeep.Layers.Embedding;
using MlNetDeep.Losses;
using MlNetDeep.Losses.Metric;
using MlNetDeep.Optimizers;
using MlNetDeep.Tensors;
using MlNetDeep.Training;

namespace MlNetDeep.Verification;

/// <summary>
/// One-shot verification on identities never seen in training (seed 001, course 4 week 4): an encoder trained with the triplet
/// loss on P×K batches of some identities (MNIST digits 0–6 stand in for faces), then each new identity (7, 8, 9) enrolled in a
/// <see cref="Gallery"/> from a single example, and the new identities' test examples verified (AUC, TAR at a FAR) and
/// identified. Beside it, the baseline the seed argues against: a softmax classifier retrained with the new identities' single
/// examples ("每加入一个新员工,都需要重新训练").
/// </summary>
public static class OneShotExperiment
{
    /// <summary>
    /// The encoder f: a small convolutional body (two 5×5 convolutions with ReLU and 2×2 max pooling, as LeNet-5) and a ReLU
    /// layer of <paramref name="hiddenUnits"/>, then <see cref="EmbeddingHead"/> (L2-normalised).
    /// </summary>
    /// <param name="dimension">d.</param>
    /// <param name="hiddenUnits">Width of the ReLU layer before the head; 0 leaves it out.</param>
    /// <param name="normalize">Scale every encoding to unit L2 norm.</param>
    /// <param name="firstChannels">Channels of the first convolution.</param>
    /// <param name="secondChannels">Channels of the second convolution.</param>
    public static Sequential Encoder(int dimension, int hiddenUnits, bool normalize = true, int firstChannels = 8, int secondChannels = 16) =>
        new([.. Body(hiddenUnits, firstChannels, secondChannels), new EmbeddingHead(dimension, normalize)]);

    private static Layer[] Body(int hiddenUnits, int firstChannels = 8, int secondChannels = 16) =>
    [
        new Conv2D(firstChannels, 5), new ReLU(), new MaxPool2D(2),
        new Conv2D(secondChannels, 5), new ReLU(), new MaxPool2D(2),
        new Flatten(), .. (hiddenUnits > 0 ? new Layer[] { new Dense(hiddenUnits), new ReLU() } : []),
    ];

    /// <summary>Runs the experiment.</summary>
    /// <param name="train">Training examples (all identities; the new identities' rows are only drawn from for enrolment).</param>
    /// <param name="test">Test examples: those of the training identities are the validation pairs for the threshold, those of the new identities are evaluated.</param>
    /// <param name="options">Settings.</param>
    /// <param name="onEpoch">Called after each epoch of the encoder's training.</param>
    public static OneShotResult Run(ClassificationData train, ClassificationData test, OneShotOptions options, Action<EpochResult>? onEpoch = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        var known = options.TrainingIdentities.ToHashSet();
        var fresh = options.NewIdentities.ToHashSet();
        if (known.Overlaps(fresh))
        {
            throw new ArgumentException("The new identities must not be among the training identities.");
        }

        var trainRows = Rows(train, known);
        var trainSet = train.Subset(trainRows);
        var encoder = Encoder(options.Dimension, options.HiddenUnits, options.Normalize);
        var sampler = new PkBatchSampler(trainSet.Labels, options.IdentitiesPerBatch, options.ExamplesPerIdentity);
        var history = Trainer.Fit(encoder, trainSet.Features, trainSet.LabelTensor(), new TrainingOptions
        {
            Loss = new TripletLoss(options.Margin, options.Mining),
            Optimizer = new Adam(options.LearningRate),
            Schedule = options.Schedule,
            Augmentation = options.Augmentation,
            Epochs = options.Epochs,
            BatchSize = sampler.BatchSize,
            BatchSampler = sampler,
            Seed = options.Seed,
            EpochCompleted = onEpoch,
        });

        // Validation pairs: test examples of the training identities choose τ for the target FAR.
        var validation = test.Subset(Rows(test, known));
        var validationEncodings = Inference.Predict(encoder, validation.Features);
        var (validationGenuine, validationImpostor) = PairDistances(validationEncodings, validation.Labels);
        var threshold = VerificationMetrics.ThresholdForFalseAcceptRate(validationImpostor, options.FalseAcceptRate);

        var evaluated = test.Subset(Rows(test, fresh));
        var encodings = Inference.Predict(encoder, evaluated.Features);
        var (genuine, impostor) = PairDistances(encodings, evaluated.Labels);
        var auc = VerificationMetrics.Auc(genuine, impostor);
        var tar = VerificationMetrics.AcceptRate(genuine, VerificationMetrics.ThresholdForFalseAcceptRate(impostor, options.FalseAcceptRate));

        // One-shot identification: one enrolled example of each new identity, drawn from its training rows.
        var random = new RandomSource(options.Seed ^ 0x0E5E01UL);
        var candidates = options.NewIdentities.Select(id => Rows(train, [id])).ToArray();
        var firstDraw = new int[candidates.Length];
        double accuracySum = 0;
        for (var draw = 0; draw < options.EnrolmentDraws; draw++)
        {
            var gallery = new Gallery(options.Dimension);
            var picks = candidates.Select(c => c[random.NextInt(c.Length)]).ToArray();
            if (draw == 0)
            {
                firstDraw = picks;
            }

            var enrolled = Inference.Predict(encoder, train.Subset(picks).Features);
            for (var i = 0; i < picks.Length; i++)
            {
                gallery.Enrol(train.ClassNames[options.NewIdentities[i]], enrolled.Row(i));
            }

            var correct = 0;
            for (var r = 0; r < encodings.Rows; r++)
            {
                if (gallery.Identify(encodings.Row(r)).Nearest == train.ClassNames[evaluated.Labels[r]])
                {
                    correct++;
                }
            }

            accuracySum += (double)correct / encodings.Rows;
        }

        var baseline = options.Baseline ? Baseline(train, trainRows, firstDraw, evaluated, options) : double.NaN;
        return new OneShotResult
        {
            Auc = auc,
            ValidationAuc = VerificationMetrics.Auc(validationGenuine, validationImpostor),
            TrueAcceptRate = tar,
            Threshold = threshold,
            FalseAcceptRateAtThreshold = VerificationMetrics.AcceptRate(impostor, threshold),
            TrueAcceptRateAtThreshold = VerificationMetrics.AcceptRate(genuine, threshold),
            OneShotAccuracy = accuracySum / Math.Max(1, options.EnrolmentDraws),
            BaselineAccuracy = baseline,
            Encodings = encodings,
            Identities = evaluated.Labels,
            FinalLoss = history.Epochs[^1].TrainLoss,
        };
    }

    /// <summary>d of every pair of rows, split into genuine (same identity) and impostor pairs.</summary>
    public static (double[] Genuine, double[] Impostor) PairDistances(Tensor encodings, ReadOnlySpan<int> identities)
    {
        var genuine = new List<double>();
        var impostor = new List<double>();
        for (var i = 0; i < encodings.Rows; i++)
        {
            for (var j = i + 1; j < encodings.Rows; j++)
            {
                (identities[i] == identities[j] ? genuine : impostor).Add(Similarity.Distance(encodings.Row(i), encodings.Row(j)));
            }
        }

        return ([.. genuine], [.. impostor]);
    }

    /// <summary>The seed's rejected design: the encoder's body with a softmax over all identities, retrained with one example of each new identity.</summary>
    private static double Baseline(ClassificationData train, int[] trainRows, int[] enrolled, ClassificationData evaluated, OneShotOptions options)
    {
        var rows = trainRows.Concat(enrolled).ToArray();
        var data = train.Subset(rows);
        var classifier = new Sequential([.. Body(options.HiddenUnits), new Dense(train.ClassCount)]);
        Trainer.Fit(classifier, data.Features, data.LabelTensor(), new TrainingOptions
        {
            Loss = new SoftmaxCrossEntropy(),
            Optimizer = new Adam(options.LearningRate),
            Epochs = options.Epochs,
            BatchSize = options.IdentitiesPerBatch * options.ExamplesPerIdentity,
            Seed = options.Seed,
        });

        var logits = Inference.Predict(classifier, evaluated.Features);
        var correct = 0;
        for (var r = 0; r < logits.Rows; r++)
        {
            var row = logits.Row(r);
            var best = options.NewIdentities[0];
            foreach (var id in options.NewIdentities)
            {
                if (row[id] > row[best])
                {
                    best = id;
                }
            }

            if (best == evaluated.Labels[r])
            {
                correct++;
            }
        }

        return (double)correct / logits.Rows;
    }

    private static int[] Rows(ClassificationData data, IReadOnlyCollection<int> identities) =>
        [.. Enumerable.Range(0, data.Count).Where(i => identities.Contains(data.Labels[i]))];
}
