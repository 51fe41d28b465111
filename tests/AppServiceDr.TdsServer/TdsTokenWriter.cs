using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace AppServiceDr.TdsServer
{
    /// <summary>A column of a result set the server returns.</summary>
    public enum TdsColumnType
    {
        Int,
        BigInt,
        Bit,
        NVarChar,
        /// <summary>numeric(20,0), as RESTORE FILELISTONLY reports sizes.</summary>
        Numeric20,
    }

    public sealed class TdsColumn
    {
        public TdsColumn(string name, TdsColumnType type, int length = 128)
        {
            Name = name;
            Type = type;
            Length = length;
        }

        public string Name { get; }
        public TdsColumnType Type { get; }
        /// <summary>Characters, for nvarchar columns.</summary>
        public int Length { get; }
    }

    /// <summary>Builds the token stream of one reply. The connection cuts it into packets.</summary>
    internal sealed class TdsTokenWriter
    {
        private readonly MemoryStream _buffer = new MemoryStream();

        public int Length => (int)_buffer.Length;

        public byte[] TakeBytes()
        {
            var bytes = _buffer.ToArray();
            _buffer.SetLength(0);
            return bytes;
        }

        public void Clear() => _buffer.SetLength(0);

        private void Byte(byte b) => _buffer.WriteByte(b);

        private void Bytes(byte[] bytes) => _buffer.Write(bytes, 0, bytes.Length);

        private void UInt16(int v)
        {
            Byte((byte)(v & 0xFF));
            Byte((byte)((v >> 8) & 0xFF));
        }

        private void Int32(int v) => Bytes(BitConverter.GetBytes(v));

        private void Int64(long v) => Bytes(BitConverter.GetBytes(v));

        private void BVarChar(string s)
        {
            if (s.Length > 255) s = s.Substring(0, 255);
            Byte((byte)s.Length);
            Bytes(Encoding.Unicode.GetBytes(s));
        }

        private void UsVarChar(string s)
        {
            UInt16(s.Length);
            Bytes(Encoding.Unicode.GetBytes(s));
        }

        /// <summary>A token whose body starts with a two-byte length.</summary>
        private void Sized(byte token, Action<TdsTokenWriter> body)
        {
            var inner = new TdsTokenWriter();
            body(inner);
            var bytes = inner.TakeBytes();
            Byte(token);
            UInt16(bytes.Length);
            Bytes(bytes);
        }

        public void EnvChange(byte type, string newValue, string oldValue) => Sized(TdsProtocol.TokenEnvChange, w =>
        {
            w.Byte(type);
            w.BVarChar(newValue);
            w.BVarChar(oldValue);
        });

        public void EnvChangeCollation(byte[] collation) => Sized(TdsProtocol.TokenEnvChange, w =>
        {
            w.Byte(TdsProtocol.EnvCollation);
            w.Byte((byte)collation.Length);
            w.Bytes(collation);
            w.Byte(0);
        });

        public void LoginAck(string programName, byte major, byte minor, ushort build) => Sized(TdsProtocol.TokenLoginAck, w =>
        {
            w.Byte(1); // SQL interface
            w.Bytes(TdsProtocol.TdsVersion74);
            w.BVarChar(programName);
            w.Byte(major);
            w.Byte(minor);
            w.Byte((byte)(build >> 8));
            w.Byte((byte)(build & 0xFF));
        });

        /// <summary>FEATUREEXTACK with one acknowledged feature, then the terminator.</summary>
        public void FeatureExtAck(byte featureId, byte[] data)
        {
            Byte(TdsProtocol.TokenFeatureExtAck);
            Byte(featureId);
            Int32(data.Length);
            Bytes(data);
            Byte(TdsProtocol.FeatureTerminator);
        }

        /// <summary>An INFO (class 10 and below) or ERROR (class 11 and above) token.</summary>
        public void Message(SqlMessage message, string serverName) => Sized(
            message.Class > 10 ? TdsProtocol.TokenError : TdsProtocol.TokenInfo, w =>
            {
                w.Int32(message.Number);
                w.Byte(message.State);
                w.Byte(message.Class);
                w.UsVarChar(message.Text);
                w.BVarChar(serverName);
                w.BVarChar(string.Empty);
                w.Int32(message.LineNumber);
            });

        public void Done(byte token, ushort status, long rowCount)
        {
            Byte(token);
            UInt16(status);
            UInt16(0xC1); // current command: SELECT; clients do not interpret it
            Int64(rowCount);
        }

        public void ReturnStatus(int value)
        {
            Byte(TdsProtocol.TokenReturnStatus);
            Int32(value);
        }

        public void ColMetadata(IReadOnlyList<TdsColumn> columns)
        {
            Byte(TdsProtocol.TokenColMetadata);
            UInt16(columns.Count);
            foreach (var c in columns)
            {
                Int32(0); // user type
                UInt16(0x01 | 0x08); // nullable, updatable unknown
                switch (c.Type)
                {
                    case TdsColumnType.Int:
                        Byte(TdsProtocol.TypeIntN);
                        Byte(4);
                        break;
                    case TdsColumnType.BigInt:
                        Byte(TdsProtocol.TypeIntN);
                        Byte(8);
                        break;
                    case TdsColumnType.Bit:
                        Byte(TdsProtocol.TypeBitN);
                        Byte(1);
                        break;
                    case TdsColumnType.NVarChar:
                        Byte(TdsProtocol.TypeNVarChar);
                        UInt16(Math.Min(c.Length * 2, 8000));
                        Bytes(TdsProtocol.DefaultCollation);
                        break;
                    case TdsColumnType.Numeric20:
                        Byte(TdsProtocol.TypeNumericN);
                        Byte(17);
                        Byte(20);
                        Byte(0);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(columns));
                }
                BVarChar(c.Name);
            }
        }

        public void Row(IReadOnlyList<TdsColumn> columns, IReadOnlyList<object?> values)
        {
            Byte(TdsProtocol.TokenRow);
            for (var i = 0; i < columns.Count; i++)
            {
                var v = values[i];
                switch (columns[i].Type)
                {
                    case TdsColumnType.Int:
                        if (v == null) { Byte(0); break; }
                        Byte(4);
                        Int32(Convert.ToInt32(v));
                        break;
                    case TdsColumnType.BigInt:
                        if (v == null) { Byte(0); break; }
                        Byte(8);
                        Int64(Convert.ToInt64(v));
                        break;
                    case TdsColumnType.Bit:
                        if (v == null) { Byte(0); break; }
                        Byte(1);
                        Byte(Convert.ToBoolean(v) ? (byte)1 : (byte)0);
                        break;
                    case TdsColumnType.NVarChar:
                        if (v == null) { UInt16(0xFFFF); break; }
                        var text = Encoding.Unicode.GetBytes(Convert.ToString(v) ?? string.Empty);
                        UInt16(text.Length);
                        Bytes(text);
                        break;
                    case TdsColumnType.Numeric20:
                        if (v == null) { Byte(0); break; }
                        var n = Convert.ToInt64(v);
                        Byte(9);
                        Byte(n >= 0 ? (byte)1 : (byte)0);
                        Int64(Math.Abs(n));
                        break;
                }
            }
        }

        public void Raw(byte[] bytes) => Bytes(bytes);
    }
}
