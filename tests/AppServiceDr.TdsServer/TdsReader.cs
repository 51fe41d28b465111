using System;
using System.IO;
using System.Text;

namespace AppServiceDr.TdsServer
{
    /// <summary>Reads a whole TDS message body (packet headers already removed), little-endian.</summary>
    internal sealed class TdsReader
    {
        private readonly byte[] _data;

        public TdsReader(byte[] data, int position = 0)
        {
            _data = data;
            Position = position;
        }

        public int Position { get; set; }
        public int Remaining => _data.Length - Position;
        public byte[] Data => _data;

        private void Need(int count)
        {
            if (count < 0 || Position + count > _data.Length)
                throw new InvalidDataException("The TDS message ended in the middle of a field.");
        }

        public byte ReadByte()
        {
            Need(1);
            return _data[Position++];
        }

        public ushort ReadUInt16()
        {
            Need(2);
            var v = (ushort)(_data[Position] | (_data[Position + 1] << 8));
            Position += 2;
            return v;
        }

        public int ReadInt32()
        {
            Need(4);
            var v = BitConverter.ToInt32(_data, Position);
            Position += 4;
            return v;
        }

        public uint ReadUInt32() => unchecked((uint)ReadInt32());

        public long ReadInt64()
        {
            Need(8);
            var v = BitConverter.ToInt64(_data, Position);
            Position += 8;
            return v;
        }

        public ulong ReadUInt64() => unchecked((ulong)ReadInt64());

        public byte[] ReadBytes(int count)
        {
            Need(count);
            var result = new byte[count];
            Buffer.BlockCopy(_data, Position, result, 0, count);
            Position += count;
            return result;
        }

        public void Skip(int count)
        {
            Need(count);
            Position += count;
        }

        public string ReadUnicode(int charCount)
        {
            Need(charCount * 2);
            var s = Encoding.Unicode.GetString(_data, Position, charCount * 2);
            Position += charCount * 2;
            return s;
        }

        /// <summary>B_VARCHAR: one length byte counting characters.</summary>
        public string ReadBVarChar() => ReadUnicode(ReadByte());

        /// <summary>US_VARCHAR: two length bytes counting characters.</summary>
        public string ReadUsVarChar() => ReadUnicode(ReadUInt16());

        /// <summary>A partially length-prefixed value: total length, then chunks ending with a zero-length one.
        /// Returns null for the PLP null marker.</summary>
        public byte[]? ReadPlp()
        {
            var total = ReadUInt64();
            if (total == ulong.MaxValue) return null;
            using var buffer = new MemoryStream();
            while (true)
            {
                var chunk = ReadInt32();
                if (chunk == 0) break;
                buffer.Write(ReadBytes(chunk), 0, chunk);
            }
            return buffer.ToArray();
        }
    }
}
