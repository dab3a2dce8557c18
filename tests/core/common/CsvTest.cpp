#include "TestSupport.h"
#include "core/common/Csv.h"

using namespace spotwise;

class CsvTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void quotedFieldsWithCommasQuotesAndNewlines() {
    auto t = CsvTable::parse("a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"multi\nline\",\n");
    QVERIFY(t);
    QCOMPARE(t->rowCount(), std::size_t{2});
    QCOMPARE(t->cell(0, 1), std::string("x, y"));
    QCOMPARE(t->cell(0, 2), std::string("say \"hi\""));
    QCOMPARE(t->cell(1, 1), std::string("multi\nline"));
    QCOMPARE(t->cell(1, 2), std::string());
    QCOMPARE(t->lineOf(1), std::size_t{3});
    QCOMPARE(*t->column("c"), std::size_t{2});
    QVERIFY(!t->column("d"));
  }

  void noTrailingNewlineAndByteOrderMark() {
    auto t = CsvTable::parse("\xEF\xBB\xBFh1,h2\nv1,v2");
    QVERIFY(t);
    QCOMPARE(t->header().front(), std::string("h1"));
    QCOMPARE(t->cell(0, 1), std::string("v2"));
  }

  void errorsNameTheLine() {
    auto ragged = CsvTable::parse("a,b\n1,2\n3\n");
    QVERIFY(!ragged);
    QCOMPARE(ragged.error().message, std::string("CSV line 3: 1 fields, header has 2"));
    auto stray = CsvTable::parse("a,b\n1,x\"y\n");
    QVERIFY(!stray);
    QVERIFY(stray.error().message.find("line 2") != std::string::npos);
    auto after = CsvTable::parse("a,b\n\"1\"x,2\n");
    QVERIFY(!after);
    QVERIFY(after.error().message.find("after a closing quote") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(CsvTest)
#include "CsvTest.moc"
