using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetDeep.ML.Internal;
using MlNetDeep.Vision.Detection;

namespace MlNetDeep.ML.Detection;

/// <summary>
/// The columns of a detection network, as ML.NET's TorchSharp ObjectDetection trainer writes them: PredictedLabel (a
/// vector of text, one class name per detection), Score (a vector of Single, one confidence per detection) and
/// PredictedBoundingBoxes (a vector of Single, xmin, ymin, xmax, ymax per detection, in pixels), by decreasing score.
/// A row without a score (a non-finite feature or output) gets no detection.
/// </summary>
internal static class DetectionOutputs
{
    /// <summary>A getter of the detection column of role <paramref name="role"/>, decoding <paramref name="source"/>'s outputs.</summary>
    public static Delegate Getter(Detector detector, string role, IScoreSource source)
    {
        // Each getter decodes the row itself: a getter belongs to one cursor, and decoding is small beside the forward pass.
        var detections = new List<DetectedObject>();
        void Decode()
        {
            var outputs = source.Current();
            if (float.IsNaN(outputs[0]))
            {
                detections.Clear();
                return;
            }

            detector.Decode(outputs, detections);
        }

        return role switch
        {
            OutputColumns.PredictedLabel => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> dst) =>
            {
                Decode();
                var editor = VBufferEditor.Create(ref dst, detections.Count);
                for (var i = 0; i < detections.Count; i++)
                {
                    editor.Values[i] = detector.ClassNames[detections[i].ClassIndex].AsMemory();
                }

                dst = editor.Commit();
            }),
            OutputColumns.Score => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
            {
                Decode();
                var editor = VBufferEditor.Create(ref dst, detections.Count);
                for (var i = 0; i < detections.Count; i++)
                {
                    editor.Values[i] = detections[i].Score;
                }

                dst = editor.Commit();
            }),
            OutputColumns.Boxes => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
            {
                Decode();
                var editor = VBufferEditor.Create(ref dst, 4 * detections.Count);
                for (var i = 0; i < detections.Count; i++)
                {
                    var b = detections[i].Box;
                    (editor.Values[4 * i], editor.Values[(4 * i) + 1], editor.Values[(4 * i) + 2], editor.Values[(4 * i) + 3]) = (b.XMin, b.YMin, b.XMax, b.YMax);
                }

                dst = editor.Commit();
            }),
            _ => throw new InvalidOperationException($"No output column '{role}' for detection."),
        };
    }
}
