#include "TestSupport.h"
#include "core/cloud/Xml.h"

using namespace spotwise;
using namespace spotwise::cloud;

class XmlTest : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void parsesNestedElementsAttributesAndEntities() {
    const auto root = parseXml(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n<R xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
        "<a k='v&amp;w'>x &lt;&gt; &#65;&#x42; &quot;q&apos;</a><b/><set><item>1</item><item>2</item></set>"
        "<c><![CDATA[<raw>&]]></c></R>",
        "Test");
    QVERIFY2(root.ok(), root.ok() ? "" : root.error().message.c_str());
    QCOMPARE(root->name, std::string("R"));
    QCOMPARE(root->textAt("a"), std::string("x <> AB \"q'"));
    QCOMPARE(root->child("a")->attributes.at(0).second, std::string("v&w"));
    QVERIFY(root->child("b") != nullptr);
    QCOMPARE(root->child("set")->childrenNamed("item").size(), std::size_t{2});
    QCOMPARE(root->textAt("c"), std::string("<raw>&"));
    QCOMPARE(root->textAt("missing/path"), std::string());
  }

  void rejectsMalformedDocuments_data() {
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("truncated") << QStringLiteral("<R><a>1</a><b>");
    QTest::newRow("mismatched") << QStringLiteral("<R><a>1</b></R>");
    QTest::newRow("unknown entity") << QStringLiteral("<R>&nbsp;</R>");
    QTest::newRow("html") << QStringLiteral("<html><body>Bad gateway<br></body></html>");
    QTest::newRow("json") << QStringLiteral("{\"error\":1}");
    QTest::newRow("two roots") << QStringLiteral("<a/><b/>");
  }
  void rejectsMalformedDocuments() {
    QFETCH(QString, text);
    const auto root = parseXml(text.toStdString(), "DescribeInstances");
    QVERIFY(!root.ok());
    QCOMPARE(root.error().code, ErrorCode::InvalidArgument);
    QVERIFY(root.error().message.starts_with("DescribeInstances: malformed XML at byte"));
  }

  void escapes() { QCOMPARE(xmlEscape("a<b>&\"'"), std::string("a&lt;b&gt;&amp;&quot;&apos;")); }
};

QTEST_APPLESS_MAIN(XmlTest)
#include "XmlTest.moc"
