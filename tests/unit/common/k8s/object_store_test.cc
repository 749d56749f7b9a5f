// The informer cache: relists produce adds, updates and the deletes missed while the watch was
// down; watch events apply once.
#include "common/k8s/object_store.h"

#include <gtest/gtest.h>

namespace rmq::k8s {
namespace {

Json Obj(const std::string& ns, const std::string& name, const std::string& rv) {
  Json meta = {{"name", name}, {"resourceVersion", rv}};
  if (!ns.empty()) meta["namespace"] = ns;
  return Json{{"metadata", meta}};
}

WatchEvent Event(WatchEvent::Type type, Json object) {
  WatchEvent e;
  e.type = type;
  e.object = std::move(object);
  return e;
}

TEST(ObjectStoreTest, Keys) {
  EXPECT_EQ(ObjectStore::KeyOf(Obj("ns", "a", "1")), "ns/a");
  EXPECT_EQ(ObjectStore::KeyOf(Obj("", "node-1", "1")), "node-1");
  EXPECT_EQ(ObjectStore::KeyOf(Json::object()), "");
}

TEST(ObjectStoreTest, RelistYieldsAddsUpdatesAndMissedDeletes) {
  ObjectStore store;
  auto first = store.Replace({Obj("ns", "a", "1"), Obj("ns", "b", "2"), Obj("ns", "c", "3")});
  ASSERT_EQ(first.size(), 3u);
  for (const auto& e : first) EXPECT_EQ(e.type, ObjectEvent::Type::kAdded);

  // While the watch was down (410 Gone): b changed, c was deleted, d was created.
  auto relist = store.Replace({Obj("ns", "a", "1"), Obj("ns", "b", "7"), Obj("ns", "d", "8")});
  ASSERT_EQ(relist.size(), 3u);
  EXPECT_EQ(relist[0].type, ObjectEvent::Type::kDeleted);
  EXPECT_EQ(ObjectStore::KeyOf(relist[0].object), "ns/c");
  EXPECT_EQ(relist[0].object["metadata"]["resourceVersion"], "3");  // the last known object
  EXPECT_EQ(relist[1].type, ObjectEvent::Type::kUpdated);
  EXPECT_EQ(relist[1].old["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(relist[2].type, ObjectEvent::Type::kAdded);
  EXPECT_EQ(store.Keys(), (std::vector<std::string>{"ns/a", "ns/b", "ns/d"}));
  EXPECT_TRUE(
      store.Replace({Obj("ns", "a", "1"), Obj("ns", "b", "7"), Obj("ns", "d", "8")}).empty());
}

TEST(ObjectStoreTest, WatchEventsApplyOnce) {
  ObjectStore store;
  auto added = store.Apply(Event(WatchEvent::Type::kAdded, Obj("ns", "a", "1")));
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(added->type, ObjectEvent::Type::kAdded);
  EXPECT_FALSE(store.Apply(Event(WatchEvent::Type::kAdded, Obj("ns", "a", "1"))).has_value());
  auto updated = store.Apply(Event(WatchEvent::Type::kModified, Obj("ns", "a", "2")));
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->type, ObjectEvent::Type::kUpdated);
  EXPECT_EQ(updated->old["metadata"]["resourceVersion"], "1");
  EXPECT_EQ((*store.Get("ns/a"))["metadata"]["resourceVersion"], "2");
  EXPECT_FALSE(store.Apply(Event(WatchEvent::Type::kBookmark, Obj("", "", "9"))).has_value());
  auto deleted = store.Apply(Event(WatchEvent::Type::kDeleted, Obj("ns", "a", "3")));
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->type, ObjectEvent::Type::kDeleted);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_FALSE(store.Apply(Event(WatchEvent::Type::kDeleted, Obj("ns", "a", "3"))).has_value());
}

}  // namespace
}  // namespace rmq::k8s
