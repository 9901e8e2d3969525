using System.Text;
using GenAudit.Core.TensorBoard;
using GenAudit.Tests.Data;
using SkiaSharp;
using Tensorboard;

namespace GenAudit.Tests.Core;

public class TensorBoardWriterTests
{
    [Fact]
    public void Crc32CMatchesTheRfc3720Vectors()
    {
        // RFC 3720, appendix B.4 (the CRC bytes there are little-endian), and the common check value.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
        byte[] iscsiRead =
        [
            0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        Assert.Equal(0xD9963A56u, Crc32C.Compute(iscsiRead));
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        // Lengths that are not multiples of 8 go through the byte-wise tail.
        var random = new Random(1);
        for (var length = 0; length < 40; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(EventFileReader.MaskedCrc(data), Crc32C.Masked(data));
        }
    }

    [Fact]
    public void EventsDecodeWithTensorBoardsOwnMessageDefinitions()
    {
        using var temp = new TempFolder();
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_250);
        using var bitmap = new SKBitmap(new SKImageInfo(5, 3, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(new SKColor(10, 200, 30, 128));
        var png = bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray();
        string path;
        using (var writer = new TensorBoardWriter(Path.Combine(temp.Path, "run"), () => time))
        {
            path = writer.Path;
            writer.AddScalar("loss/D", 3, 0.25);
            writer.AddScalar("lr/G", 1L << 40, -1e-4);
            writer.AddPng("samples", 10, png);
            writer.AddRestart(7);
        }

        Assert.StartsWith("events.out.tfevents.1700000000.", Path.GetFileName(path));
        // Every TensorFlow event file starts with the same 12 bytes: a 24-byte version record's length and its masked CRC.
        Assert.Equal(new byte[] { 0x18, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x7f, 0x4b, 0x22 }, File.ReadAllBytes(path)[..12]);
        var events = EventFileReader.Read(path);
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Equal(1_700_000_000.25, e.WallTime));
        Assert.Equal(TensorBoardWriter.FileVersion, events[0].FileVersion);
        Assert.Equal("brain.Event:2", events[0].FileVersion);

        Assert.Equal((3L, "loss/D", 0.25f), (events[1].Step, events[1].Summary.Value.Single().Tag, events[1].Summary.Value.Single().SimpleValue));
        Assert.Equal((1L << 40, "lr/G", -1e-4f), (events[2].Step, events[2].Summary.Value.Single().Tag, events[2].Summary.Value.Single().SimpleValue));

        var image = events[3].Summary.Value.Single();
        Assert.Equal(("samples", 10L), (image.Tag, events[3].Step));
        Assert.Equal((5, 3, 4), (image.Image.Width, image.Image.Height, image.Image.Colorspace));
        Assert.Equal(png, image.Image.EncodedImageString.ToByteArray());

        Assert.Equal(7, events[4].Step);
        Assert.Equal(SessionLog.Types.SessionStatus.Start, events[4].SessionLog.Status);
    }

    [Fact]
    public void ImagesMustBePng()
    {
        using var temp = new TempFolder();
        using var writer = new TensorBoardWriter(temp.Path);
        var error = Assert.Throws<ArgumentException>(() => writer.AddPng("samples", 1, Encoding.ASCII.GetBytes("GIF89a not a png at all....")));
        Assert.Contains("not a PNG", error.Message);
    }
}
